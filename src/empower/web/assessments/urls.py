from django.urls import path

from . import views

urlpatterns = [
    path(
        "participants/<str:code>/assess/<slug:instrument_id>/<str:version>/",
        views.assessment_new, name="assessment_new",
    ),
    path(
        "participants/<str:code>/assess/<slug:instrument_id>/<str:version>/draft/",
        views.assessment_draft, name="assessment_draft",
    ),
    path(
        "participants/<str:code>/assessments/<int:pk>/",
        views.assessment_detail, name="assessment_detail",
    ),
    path("reports/cohort/", views.cohort_report_view, name="cohort_report"),
    path(
        "instruments/<slug:instrument_id>/<str:version>/quality/",
        views.instrument_quality_view, name="instrument_quality",
    ),
]
