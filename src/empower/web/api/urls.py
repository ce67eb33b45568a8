"""The API under ``/api/``. Plain ``path()`` routes (no router, no format suffixes): every
route has one name, starting ``api_``, and the access tests know each parameter."""

from __future__ import annotations

from django.urls import path

from . import keys, views

urlpatterns = [
    path("instruments/", views.InstrumentList.as_view(), name="api_instrument_list"),
    path(
        "instruments/<slug:instrument_id>/<str:version>/", views.InstrumentDetail.as_view(),
        name="api_instrument_detail",
    ),
    path("participants/", views.ParticipantList.as_view(), name="api_participant_list"),
    path(
        "participants/<str:code>/", views.ParticipantDetail.as_view(),
        name="api_participant_detail",
    ),
    path("assessments/", views.AssessmentList.as_view(), name="api_assessment_list"),
    path("assessments/<int:pk>/", views.AssessmentDetail.as_view(),
         name="api_assessment_detail"),
    path("scores/", views.ScoreList.as_view(), name="api_score_list"),
    path("cohort/", views.CohortReport.as_view(), name="api_cohort"),
    path("schema/", views.SchemaView.as_view(), name="api_schema"),
    path("key/", keys.api_key, name="api_key"),
]
