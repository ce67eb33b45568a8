from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "empower.web.fieldwork"
    label = "fieldwork"
