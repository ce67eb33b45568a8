from django.apps import AppConfig


class WebConfig(AppConfig):
    """The site's shared templates, static files and management commands."""

    name = "empower.web"
    label = "empower_web"
    verbose_name = "Empower"
