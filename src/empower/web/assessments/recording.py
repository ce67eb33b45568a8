"""Recording an assessment: the one path by which assessments are saved.

It checks consent, validates answers against the instrument, scores with the pure scoring
package and writes everything in one transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from empower.instruments import Instrument, score, validate_answers
from empower.web.people.models import Consent, ConsentDecision, Participant

from .models import Assessment, AxisScore


def interview_consents(participants: Iterable[Participant]) -> dict[int, list[Consent]]:
    """Each participant's consents whose "yes" to the interview is in force now, newest first
    (participant id → consents), in one query: an import checks hundreds of rows at once."""
    found: dict[int, list[Consent]] = {}
    decisions = (
        ConsentDecision.objects.in_force("interview")
        .filter(consent__participant__in=list(participants))
        .select_related("consent")
        .order_by("-consent__given_at", "-consent__id")
    )
    for decision in decisions:
        found.setdefault(decision.consent.participant_id, []).append(decision.consent)
    return found


def covering(consents: Iterable[Consent], conducted_on: date) -> Consent | None:
    """The newest of ``consents`` (newest first) given on or before ``conducted_on``."""
    return next((c for c in consents if c.given_at.date() <= conducted_on), None)


def consent_covering_interview(participant: Participant, conducted_on: date) -> Consent | None:
    """The consent in force now that covered taking part in an interview on ``conducted_on``."""
    return covering(interview_consents([participant]).get(participant.pk, []), conducted_on)


def record_assessment(
    *,
    participant: Participant,
    instrument: Instrument,
    conducted_on: date,
    language: str,
    interviewer: AbstractBaseUser | None,
    answers: dict[str, Any],
    narratives: dict[str, str] | None = None,
    services: list[dict[str, Any]] | None = None,
    consents: Iterable[Consent] | None = None,
) -> Assessment:
    """Validate, score and save one assessment. Raises ``ValidationError`` and saves nothing
    when consent is missing or an answer does not fit the instrument.

    ``consents`` may pass the participant's in-force interview consents, newest first, as
    :func:`interview_consents` found them for many participants at once; otherwise they are
    looked up here."""
    narratives = narratives or {}
    services = services or []
    if consents is None:
        consent = consent_covering_interview(participant, conducted_on)
    else:
        consent = covering(consents, conducted_on)
        if consent is not None and consent.participant_id != participant.pk:
            raise ValueError("a consent of another participant was passed")
    if consent is None:
        raise ValidationError(
            _(
                "No consent record covers this interview. Record the participant's consent "
                "to take part (given on or before %(day)s, not withdrawn) first."
            )
            % {"day": conducted_on.isoformat()},
            code="no_consent",
        )
    problems = validate_answers(instrument, {**answers, **narratives}, services)
    if problems:
        raise ValidationError(
            [f"{p.field}: {p.message}" for p in problems], code="invalid_answers"
        )
    result = score(instrument, answers, services)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            participant=participant,
            consent=consent,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            conducted_on=conducted_on,
            language=language,
            interviewer=interviewer,
            answers=answers,
            narratives=narratives,
            services=services,
        )
        AxisScore.objects.bulk_create(
            AxisScore(
                assessment=assessment,
                axis=axis_score.axis,
                score=axis_score.score,
                missing_reason=axis_score.missing_reason or "",
                source=axis_score.source,
                instrument_id=axis_score.instrument_id,
                instrument_version=axis_score.instrument_version,
            )
            for axis_score in result.axis_scores.values()
        )
    return assessment
