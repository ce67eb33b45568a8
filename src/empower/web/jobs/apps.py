from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "empower.web.jobs"
    label = "jobs"
