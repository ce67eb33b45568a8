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

    def consent_for(self, purpose: str, at: datetime | None = None) -> Consent | None:
        """The most recent consent record whose decision for ``purpose`` is in force at ``at``."""
        decision = (
            ConsentDecision.objects.in_force(purpose, at)
            .filter(consent__participant=self)
            .select_related("consent")
            .order_by("-consent__given_at")
            .first()
        )
        return decision.consent if decision else None

    def exploitation_labels(self) -> list[str]:
        labels = dict(Exploitation.choices)
        return [str(labels.get(value, value)) for value in self.exploitation_types]


class Purpose(models.TextChoices):
    """What consent can be given for. Each purpose is asked and recorded separately."""

    INTERVIEW = "interview", _("Taking part in the interview")
    OWN_REPORTING = "own_reporting", _("Use in the organisation's own reporting")
    SHARING = "sharing", _("Sharing de-identified totals with a network or funder")
    RESEARCH = "research", _("Use in research")
    REFERRAL = "referral", _("Referral to a named provider")
    STORY = "story", _("Use of their story or image")


class HowGiven(models.TextChoices):
    WRITTEN = "written", _("Signed in writing")
    THUMBPRINT = "thumbprint", _("Thumbprint")
    VERBAL_WITNESSED = "verbal_witnessed", _("Spoken, with a witness")
    DIGITAL = "digital", _("On a device")


class GivenBy(models.TextChoices):
    PARTICIPANT = "participant", _("The participant")
    WITH_GUARDIAN = "participant_and_guardian", _("The participant and a parent or guardian")


class StoryIdentity(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous: no name at all")
    PSEUDONYM = "pseudonym", _("Under a made-up name")
    OWN_NAME = "own_name", _("Under their own name")


class Consent(models.Model):
    """One consent conversation: how, when, in which language and wording, and who witnessed it.

    What the participant agreed to is recorded purpose by purpose in ``ConsentDecision``. A new
    conversation (a renewed or changed consent) is a new record.
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    given_at = models.DateTimeField(_("when consent was given"), default=timezone.now)
    how_given = models.CharField(_("how it was given"), max_length=20, choices=HowGiven.choices)
    given_by = models.CharField(
        _("who gave it"), max_length=30, choices=GivenBy.choices, default=GivenBy.PARTICIPANT
    )
    language = models.CharField(_("language the wording was read in"), max_length=10,
                                default="en")
    wording_version = models.CharField(
        _("version of the consent wording"), max_length=40, default="2026-1"
    )
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("witness (a member of staff)"),
    )
    #: a witness who is not a member of staff; their name is identifying, so it is encrypted.
    witness_name = EncryptedTextField(_("witness (someone else)"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.participant.code} {self.given_at:%Y-%m-%d}"

    def covers(self, purpose: str, at: datetime) -> bool:
        return any(d.in_force(at) for d in self.decisions.all() if d.purpose == purpose)

    def agreed(self) -> list[ConsentDecision]:
        return [d for d in self.decisions.all() if d.agreed]

    def refused(self) -> list[ConsentDecision]:
        return [d for d in self.decisions.all() if not d.agreed]

    def withdrawn(self) -> bool:
        agreed = self.agreed()
        return bool(agreed) and all(d.withdrawn_at for d in agreed)


class ConsentDecisionQuerySet(models.QuerySet["ConsentDecision"]):
    def in_force(self, purpose: str, at: datetime | None = None) -> ConsentDecisionQuerySet:
        """Decisions agreeing to ``purpose`` that hold at ``at``: given, not withdrawn, not
        expired, and not overtaken by a later "no". Used by every query that puts a person's
        data to use.

        A later conversation in which the person says no to the same purpose (for a referral:
        to the same provider) ends an earlier yes, even though nobody pressed "withdraw": the
        latest word is the person's current wish. A later yes does not end an earlier yes, so
        an interview held under the earlier consent stays covered."""
        at = at or timezone.now()
        later_refusal = ConsentDecision.objects.filter(
            consent__participant=models.OuterRef("consent__participant"),
            purpose=models.OuterRef("purpose"),
            provider=models.OuterRef("provider"),
            agreed=False,
            consent__given_at__gt=models.OuterRef("consent__given_at"),
            consent__given_at__lte=at,
        )
        return self.filter(
            purpose=purpose, agreed=True, consent__given_at__lte=at,
        ).filter(
            models.Q(withdrawn_at__isnull=True) | models.Q(withdrawn_at__gt=at)
        ).filter(
            models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=at.date())
        ).exclude(models.Exists(later_refusal))


class ConsentDecision(models.Model):
    """Yes or no to one purpose, with the exact wording that was read."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="decisions")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    agreed = models.BooleanField()
    wording = models.TextField(_("the exact wording read"))
    #: for a referral: the provider the participant agreed to be referred to
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    #: for a story or image
    story_identity = models.CharField(
        _("how they want to be named"), max_length=20, choices=StoryIdentity.choices, blank=True
    )
    story_compensation = models.CharField(_("compensation agreed"), max_length=200, blank=True)
    expires_on = models.DateField(_("consent ends on"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ConsentDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["consent", "purpose"], name="one_decision_per_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}: {'yes' if self.agreed else 'no'}"

    def in_force(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        if not self.agreed or self.consent.given_at > at:
            return False
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return False
        return self.expires_on is None or self.expires_on >= at.date()


class ReferralKind(models.TextChoices):
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support or counselling")
    LEGAL = "legal", _("Legal information or aid")
    SHELTER = "shelter", _("Shelter")
    HEALTH = "health", _("Health care")
    LIVELIHOOD = "livelihood", _("Skills, work or money")
    OTHER = "other", _("Other")


class ReferralStatus(models.TextChoices):
    NEEDED = "needed", _("Need noted")
    MADE = "made", _("Referral made")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed")


class Referral(models.Model):
    """A need for help from another provider, and whether the referral was made.

    A referral can only be made while the participant's consent to referral is in force; when
    that consent is withdrawn, every referral not yet made is cancelled at once.
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="referrals"
    )
    kind = models.CharField(_("kind of help"), max_length=20, choices=ReferralKind.choices)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.NEEDED
    )
    reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.participant.code} {self.kind} ({self.status})"
