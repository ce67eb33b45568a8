from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "empower.web.api"
    label = "api"

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401  (registers the key scheme with drf-spectacular)
            signals,
        )

        signals.connect()  # a stopped login's key is revoked at once
