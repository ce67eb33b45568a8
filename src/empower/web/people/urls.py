from django.urls import path

from . import views

urlpatterns = [
    path("", views.participant_list, name="participant_list"),
    path("new/", views.participant_create, name="participant_create"),
    path("<str:code>/", views.participant_detail, name="participant_detail"),
    path("<str:code>/edit/", views.participant_edit, name="participant_edit"),
    path("<str:code>/consent/", views.consent_create, name="consent_create"),
    path(
        "<str:code>/consent/<int:consent_id>/withdraw/",
        views.consent_withdraw, name="consent_withdraw",
    ),
]
