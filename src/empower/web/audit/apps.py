from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "empower.web.audit"
    label = "audit"
    verbose_name = "Audit trail"
