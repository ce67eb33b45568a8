"""Forms for participants and consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Consent, Exploitation, Participant


class ParticipantForm(forms.ModelForm):
    exploitation_types = forms.MultipleChoiceField(
        label=_("Type(s) of exploitation"), required=False,
        choices=Exploitation.choices, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Participant
        fields = [
            "gender", "year_of_birth", "region_of_origin", "exploitation_types",
            "destination_country", "status",
        ]
        help_texts = {
            "region_of_origin": _("A district or region, never a village or an address."),
            "destination_country": _("Leave empty if not given."),
        }

    def clean_year_of_birth(self) -> int | None:
        year = self.cleaned_data.get("year_of_birth")
        if year is not None and not (date.today().year - 100 <= year <= date.today().year):
            raise forms.ValidationError(_("Enter a year of birth in the last 100 years."))
        return year

    def clean_region_of_origin(self) -> str:
        return " ".join(self.cleaned_data.get("region_of_origin", "").split())

    def clean_destination_country(self) -> str:
        return " ".join(self.cleaned_data.get("destination_country", "").split())


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = [
            "given_at", "how_given", "given_by", "wording_version",
            "scope_interview", "scope_own_reporting", "scope_sharing", "scope_research",
        ]
        widgets = {"given_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if not self.is_bound:
            self.initial["given_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def clean_given_at(self) -> Any:
        value = self.cleaned_data["given_at"]
        if value > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError(_("Consent cannot be recorded for a future time."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scopes = ("scope_interview", "scope_own_reporting", "scope_sharing", "scope_research")
        if not any(data.get(s) for s in scopes):
            raise forms.ValidationError(
                _("Tick at least one thing the participant agreed to, or record nothing.")
            )
        return data
