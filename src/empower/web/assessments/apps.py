from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "empower.web.assessments"
    label = "assessments"
    verbose_name = "Empowerment assessments"
