"""Participants (under pseudonymous codes) and their consent.

Sensitivity of each field is declared in ``SENSITIVITY`` so that disclosure control, exports
and encryption can treat fields by what they reveal rather than by name. No field here holds a
name, phone number or address: a participant is known to the system only by a random code.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from empower.web.accounts.models import Organisation
from empower.web.fields import EncryptedTextField

#: Letters and digits that cannot be mistaken for each other when read aloud or handwritten.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6


def new_participant_code() -> str:
    """A random code: it carries no information about the person (never derived from a name)."""
    return "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    ANOTHER = "another", _("Another gender")
    PREFER_NOT_TO_SAY = "prefer_not_to_say", _("Prefer not to say")


class Status(models.TextChoices):
    """Where the participant stood at the time of the first interview."""

    RETURNED = "returned", _("Returned home")
    JUST_ESCAPED = "just_escaped", _("Just escaped")
    SETTLED_ELSEWHERE = "settled_elsewhere", _("Settled in a new job or place abroad")
    OTHER = "other", _("Other")


class Exploitation(models.TextChoices):
    LABOUR = "labour_trafficking", _("Labour trafficking")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    EXPLOITED_WORKER = "exploited_worker", _("Exploited worker")
    SEX = "sex_trafficking", _("Sex trafficking")
    CHEATED_JOB_SEEKER = "cheated_job_seeker", _("Cheated job-seeker")
    OTHER = "other", _("Other")


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def for_organisation(self, organisation: Organisation) -> ParticipantQuerySet:
        return self.filter(organisation=organisation)


class Participant(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    code = models.CharField(_("participant code"), max_length=20, default=new_participant_code)
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, blank=True)
    year_of_birth = models.PositiveSmallIntegerField(
        _("year of birth"), null=True, blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    region_of_origin = models.CharField(_("region of origin"), max_length=100, blank=True)
    exploitation_types = models.JSONField(_("type(s) of exploitation"), default=list, blank=True)
    destination_country = models.CharField(
        _("country of destination"), max_length=100, blank=True
    )
    status = models.CharField(
        _("status at interview"), max_length=20, choices=Status.choices, blank=True
    )
    # Identifying details, all optional and encrypted at rest. Only record what is needed to
    # find the person again for a follow-up, and only with their agreement.
    name = EncryptedTextField(_("name or nickname"), blank=True)
    phone = EncryptedTextField(_("phone number"), blank=True)
    address = EncryptedTextField(_("where to find them"), blank=True)
    is_synthetic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ParticipantQuerySet.as_manager()

    #: identifying / quasi_identifying / sensitive / plain, by field.
    SENSITIVITY = {
        "code": "plain",
        "name": "identifying",
        "phone": "identifying",
        "address": "identifying",
        "gender": "quasi_identifying",
        "year_of_birth": "quasi_identifying",
        "region_of_origin": "quasi_identifying",
        "exploitation_types": "sensitive",
        "destination_country": "quasi_identifying",
        "status": "sensitive",
    }

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unique_code_per_org")
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # A fresh random code collides with an existing one only by rare chance; draw again.
        if self._state.adding:
            siblings = Participant.objects.filter(organisation=self.organisation)
            while siblings.filter(code=self.code).exists():
                self.code = new_participant_code()
        super().save(*args, **kwargs)

    def age_at(self, when: datetime | None) -> int | None:
        """Age in whole years at ``when``, from the year of birth (so it may be one too high)."""
        if self.year_of_birth is None or when is None:
            return None
        return when.year - self.year_of_birth

    def consent_for(self, scope: str, at: datetime | None = None) -> Consent | None:
        """The most recent consent record in force at ``at`` that covers ``scope``."""
        at = at or timezone.now()
        for consent in self.consents.order_by("-given_at"):
            if consent.covers(scope, at):
                return consent
        return None

    def exploitation_labels(self) -> list[str]:
        labels = dict(Exploitation.choices)
        return [str(labels.get(value, value)) for value in self.exploitation_types]


class ConsentScope(models.TextChoices):
    """What a consent record can allow. Each is asked and recorded separately."""

    INTERVIEW = "interview", _("Taking part in this interview")
    OWN_REPORTING = "own_reporting", _("Use in the organisation's own reporting")
    SHARING = "sharing", _("Sharing de-identified data beyond the organisation")
    RESEARCH = "research", _("Use in research")


class HowGiven(models.TextChoices):
    WRITTEN = "written", _("Signed in writing")
    THUMBPRINT = "thumbprint", _("Thumbprint")
    VERBAL_WITNESSED = "verbal_witnessed", _("Spoken, with a witness")
    DIGITAL = "digital", _("On a device")


class GivenBy(models.TextChoices):
    PARTICIPANT = "participant", _("The participant")
    WITH_GUARDIAN = "participant_and_guardian", _("The participant and a parent or guardian")


class Consent(models.Model):
    """One consent conversation and what the participant agreed to in it.

    A new conversation (a renewed or changed consent) is a new record; withdrawal is recorded
    on the record and takes effect from that moment.
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    given_at = models.DateTimeField(_("when consent was given"), default=timezone.now)
    how_given = models.CharField(_("how it was given"), max_length=20, choices=HowGiven.choices)
    given_by = models.CharField(
        _("who gave it"), max_length=30, choices=GivenBy.choices, default=GivenBy.PARTICIPANT
    )
    wording_version = models.CharField(
        _("version of the consent wording"), max_length=40, default="2026-1"
    )
    scope_interview = models.BooleanField(_("Taking part in this interview"), default=False)
    scope_own_reporting = models.BooleanField(
        _("Use in the organisation's own reporting"), default=False
    )
    scope_sharing = models.BooleanField(
        _("Sharing de-identified data beyond the organisation"), default=False
    )
    scope_research = models.BooleanField(_("Use in research"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.participant.code} {self.given_at:%Y-%m-%d}"

    def scopes(self) -> list[str]:
        return [s.value for s in ConsentScope if getattr(self, f"scope_{s.value}")]

    def scope_labels(self) -> list[str]:
        return [str(ConsentScope(s).label) for s in self.scopes()]

    def covers(self, scope: str, at: datetime) -> bool:
        if not getattr(self, f"scope_{scope}"):
            return False
        if self.given_at > at:
            return False
        return self.withdrawn_at is None or self.withdrawn_at > at
