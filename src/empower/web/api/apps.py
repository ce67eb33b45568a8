from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "empower.web.api"
    label = "api"
