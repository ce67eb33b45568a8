from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "empower.web.exports"
    label = "exports"
