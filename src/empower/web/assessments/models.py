"""Assessments: one interview with one participant, tied to the exact instrument version.

Answers are stored as given (JSON keyed by item id). Free-text notes – the survivor's own words –
are kept apart in ``narratives`` because they can identify a person and are the first thing to
protect. Axis scores are computed by the pure scoring package when the assessment is saved and
stored in ``AxisScore`` so that reports and charts can query them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from empower.instruments import Instrument, get_instrument
from empower.instruments.model import text_in
from empower.web.accounts.models import Organisation
from empower.web.fields import EncryptedJSONField
from empower.web.people.models import Consent, Participant


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def for_organisation(self, organisation: Organisation) -> AssessmentQuerySet:
        return self.filter(participant__organisation=organisation)


class Assessment(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="assessments"
    )
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="assessments")
    instrument_id = models.CharField(max_length=80)
    instrument_version = models.CharField(max_length=20)
    conducted_on = models.DateField(_("date of the interview"))
    language = models.CharField(_("language of the interview"), max_length=10, default="en")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(default=dict)
    #: The survivor's own words (notes per factor). Identifying: encrypted at rest, never
    #: exported to viewers or outside audiences.
    narratives = EncryptedJSONField(default=dict)
    services = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["conducted_on", "id"]

    def __str__(self) -> str:
        return f"{self.participant.code} {self.instrument_key} {self.conducted_on}"

    @property
    def instrument_key(self) -> str:
        return f"{self.instrument_id}@{self.instrument_version}"

    @property
    def instrument(self) -> Instrument:
        return get_instrument(self.instrument_id, self.instrument_version)


class AxisScore(models.Model):
    """An axis score on the common 0–100 metric, with the instrument version beside it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    axis = models.CharField(max_length=40)
    score = models.FloatField(null=True)
    missing_reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20)
    instrument_id = models.CharField(max_length=80)
    instrument_version = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "axis"], name="one_score_per_axis")
        ]


class AssessmentDraft(models.Model):
    """An interview paused part-way. The answers so far are kept encrypted until it is resumed
    and saved, or discarded."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="drafts")
    instrument_id = models.CharField(max_length=80)
    instrument_version = models.CharField(max_length=20)
    language = models.CharField(max_length=10, default="en")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: the form as it was filled in, field name → list of values; holds the survivor's own
    #: words, so it is encrypted like every narrative.
    data = EncryptedJSONField(default=dict)
    stopped_for_distress = models.BooleanField(default=False)
    #: the step of the interview to resume at (1 is the first)
    step = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.participant.code} {self.instrument_id}@{self.instrument_version} (paused)"

    @property
    def title(self) -> str:
        """The instrument's title in the current language, with its version ("Empowerment
        interview 2.0"), as the people resuming it know it."""
        try:
            texts = get_instrument(self.instrument_id, self.instrument_version).title
        except KeyError:
            return f"{self.instrument_id} {self.instrument_version}"
        return f"{text_in(texts, translation.get_language() or 'en')[0]} {self.instrument_version}"
