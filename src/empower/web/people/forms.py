"""Forms for participants and consent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .consent_texts import CURRENT_VERSION, purpose_text, purpose_text_in
from .models import (
    Consent,
    ConsentDecision,
    Exploitation,
    Participant,
    Purpose,
    StoryIdentity,
)


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


class ContactForm(forms.ModelForm):
    """Identifying details: only what is needed to find the person again, with their agreement."""

    class Meta:
        model = Participant
        fields = ["name", "phone", "address"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}


ANSWER_CHOICES = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]


class ConsentForm(forms.ModelForm):
    """One consent conversation and a yes, no or "not asked" for each purpose.

    The wording of each purpose, in the language it was read in, is shown beside its question and
    copied into the decision when it is saved.
    """

    class Meta:
        model = Consent
        fields = ["given_at", "how_given", "given_by", "witnessed_by", "witness_name"]
        widgets = {"given_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(
        self, *args: Any, organisation: Any = None, language: str = "en", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        #: names of the answer fields whose wording is shown in English for want of a
        #: translation (marked on the page)
        self.fallback_fields: set[str] = set()
        self.fields["given_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if not self.is_bound:
            self.initial["given_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        members = get_user_model().objects.filter(membership__organisation=organisation)
        self.fields["witnessed_by"].queryset = members
        self.fields["witness_name"].help_text = _(
            "Only if the witness is not a member of staff. Stored encrypted."
        )
        for purpose in Purpose:
            text, fell_back = purpose_text_in(purpose.value, language)
            if fell_back and language != "en":
                self.fallback_fields.add(f"answer_{purpose.value}")
            self.fields[f"answer_{purpose.value}"] = forms.ChoiceField(
                label=purpose.label, choices=ANSWER_CHOICES, required=False,
                help_text=text, widget=forms.RadioSelect,
            )
        self.fields["referral_provider"] = forms.CharField(
            label=_("Provider the participant agreed to be referred to"), required=False,
            max_length=200,
        )
        self.fields["story_identity"] = forms.ChoiceField(
            label=_("For a story or image: how they want to be named"), required=False,
            choices=[("", "—"), *StoryIdentity.choices],
        )
        self.fields["story_compensation"] = forms.CharField(
            label=_("For a story or image: compensation agreed"), required=False,
            max_length=200,
        )
        self.fields["story_expires_on"] = forms.DateField(
            label=_("For a story or image: consent ends on"), required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )

    def clean_given_at(self) -> Any:
        value = self.cleaned_data["given_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("Consent cannot be recorded for a future time."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        answers = {p.value: data.get(f"answer_{p.value}") for p in Purpose}
        if not any(answers.values()):
            raise forms.ValidationError(
                _("Nothing was saved: record the participant's answer to at least one "
                  "question. If they answered none, leave this page without saving.")
            )
        if answers["referral"] == "yes" and not data.get("referral_provider"):
            self.add_error("referral_provider", _("Name the provider the participant agreed to."))
        if answers["story"] == "yes":
            if not data.get("story_identity"):
                self.add_error("story_identity", _("Record how they want to be named."))
            if not data.get("story_expires_on"):
                self.add_error("story_expires_on", _(
                    "Agree an end date: consent to use a story or image should not last forever."
                ))
        if data.get("how_given") == "verbal_witnessed" and not (
            data.get("witnessed_by") or data.get("witness_name")
        ):
            self.add_error("witnessed_by", _("Spoken consent needs a witness."))
        return data

    def save_with_decisions(self, participant: Participant, recorded_by: Any) -> Consent:
        """Save the conversation and one decision per purpose that was asked, atomically."""
        data = self.cleaned_data
        with transaction.atomic():
            consent = self.save(commit=False)
            consent.participant = participant
            consent.recorded_by = recorded_by
            consent.language = self.language
            consent.wording_version = CURRENT_VERSION
            consent.save()
            for purpose in Purpose:
                answer = data.get(f"answer_{purpose.value}")
                if not answer:
                    continue
                story = purpose == Purpose.STORY
                ConsentDecision.objects.create(
                    consent=consent,
                    purpose=purpose.value,
                    agreed=answer == "yes",
                    wording=purpose_text(purpose.value, self.language),
                    provider=data.get("referral_provider", "") if purpose == Purpose.REFERRAL
                    else "",
                    story_identity=data.get("story_identity", "") if story else "",
                    story_compensation=data.get("story_compensation", "") if story else "",
                    expires_on=data.get("story_expires_on") if story else None,
                )
        return consent
