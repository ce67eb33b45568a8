from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "empower.web.people"
    label = "people"
    verbose_name = "Participants and consent"
