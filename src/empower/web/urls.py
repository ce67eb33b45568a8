from django.contrib.auth import views as auth_views
from django.urls import include, path

from empower.web import views
from empower.web.accounts import views as account_views
from empower.web.assessments import views as assessment_views
from empower.web.people import views as people_views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("team/", account_views.team, name="team"),
    path("team/<int:pk>/", account_views.member_update, name="member_update"),
    path("participants/", people_views.participant_list, name="participant_list"),
    path("participants/new/", people_views.participant_create, name="participant_create"),
    path("participants/<str:code>/", people_views.participant_detail, name="participant_detail"),
    path("participants/<str:code>/edit/", people_views.participant_edit, name="participant_edit"),
    path("participants/<str:code>/consent/", people_views.consent_create, name="consent_create"),
    path(
        "participants/<str:code>/consent/<int:consent_id>/withdraw/",
        people_views.consent_withdraw, name="consent_withdraw",
    ),
    path(
        "participants/<str:code>/assess/<slug:instrument_id>/<str:version>/",
        assessment_views.assessment_new, name="assessment_new",
    ),
    path(
        "participants/<str:code>/assessments/<int:pk>/",
        assessment_views.assessment_detail, name="assessment_detail",
    ),
    path("audit/", include("empower.web.audit.urls")),
    path("reports/cohort/", assessment_views.cohort_report_view, name="cohort_report"),
]

handler403 = "empower.web.views.forbidden"
handler404 = "empower.web.views.not_found"
handler500 = "empower.web.views.server_error"
