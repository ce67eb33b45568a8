from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from empower.web import views
from empower.web.accounts import views as account_views

urlpatterns = [
    path("", views.home, name="home"),
    path("exit/", views.quick_exit, name="quick_exit"),
    # Pages name their icon; this answers programs that ask for the old default name anyway.
    path("favicon.ico", RedirectView.as_view(url=static("empower/favicon.svg"), permanent=True),
         name="favicon"),
    path("login/", account_views.login, name="login"),
    path("login/code/", account_views.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("team/", account_views.team, name="team"),
    path("team/<int:pk>/", account_views.member_update, name="member_update"),
    path("team/settings/", account_views.organisation_settings, name="organisation_settings"),
    path("team/<int:pk>/unlock/", account_views.member_unlock, name="member_unlock"),
    path(
        "team/<int:pk>/reset-two-step/", account_views.member_reset_two_step,
        name="member_reset_two_step",
    ),
    path("account/two-step/", account_views.two_step, name="two_step"),
    path("account/language/", account_views.language_preference, name="account_language"),
    path("participants/", include("empower.web.people.urls")),
    path("", include("empower.web.assessments.urls")),
    path("audit/", include("empower.web.audit.urls")),
    path("jobs/", include("empower.web.jobs.urls")),
    path("reviews/", include("empower.web.reviews.urls")),
    path("instruments/", include("empower.web.fieldwork.urls_instruments")),
    path("imports/", include("empower.web.fieldwork.urls_imports")),
    path("exports/", include("empower.web.exports.urls")),
    path("api/", include("empower.web.api.urls")),
]

handler403 = "empower.web.views.forbidden"
handler404 = "empower.web.views.not_found"
handler500 = "empower.web.views.server_error"
