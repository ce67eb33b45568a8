from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "empower.web.fieldwork"
    label = "fieldwork"

    def ready(self) -> None:
        # Messages made by the pure packages (an imported file's problems and notes) are
        # rendered when they are shown: in the language active for that page or command.
        from django.utils.translation import gettext, ngettext

        from empower.i18n import set_translator

        set_translator(gettext, ngettext)
