from django.urls import path

from . import views

urlpatterns = [
    path("", views.participant_list, name="participant_list"),
    path("new/", views.participant_create, name="participant_create"),
    path("<str:code>/", views.participant_detail, name="participant_detail"),
    path("<str:code>/edit/", views.participant_edit, name="participant_edit"),
    path("<str:code>/consent/", views.consent_create, name="consent_create"),
    path("<str:code>/contact/", views.participant_contact, name="participant_contact"),
    path("<str:code>/erase/", views.participant_erase, name="participant_erase"),
    path(
        "<str:code>/consent/<int:consent_id>/receipt/",
        views.consent_receipt, name="consent_receipt",
    ),
    path(
        "<str:code>/consent/<int:consent_id>/withdraw/",
        views.consent_withdraw, name="consent_withdraw",
    ),
]
