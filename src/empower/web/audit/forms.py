"""The filters on the audit page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .log import ACTION_LABELS


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("What"), required=False)
    username = forms.CharField(label=_("Who (username)"), required=False, max_length=150)
    target = forms.CharField(label=_("Participant code"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Everything")), *ACTION_LABELS.items()]

    def clean_target(self) -> str:
        return self.cleaned_data["target"].strip().upper()

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
