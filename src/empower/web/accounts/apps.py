from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "empower.web.accounts"
    label = "accounts"
    verbose_name = "Organisations and people who log in"
