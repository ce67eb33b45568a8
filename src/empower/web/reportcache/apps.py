from django.apps import AppConfig


class ReportCacheConfig(AppConfig):
    name = "empower.web.reportcache"
    label = "reportcache"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the invalidation signals)
