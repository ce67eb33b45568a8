"""The records the API may read: one organisation's, and only people whose consent allows it.

The API is a way of *using* participants' data (for analysis, dashboards, the organisation's
own reporting), so it follows the cohort report, not the case-work pages: only participants
whose consent to the organisation's own reporting is in force now are returned. A withdrawal
takes the person out of every endpoint from the moment it is recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, QuerySet
from django.http import Http404

from empower.instruments import (
    NOT_APPLICABLE,
    PREFER_NOT_TO_SAY,
    Instrument,
    Item,
    get_instrument,
)
from empower.instruments.model import Option, ResponseScale
from empower.metrics.privacy import AGE_BAND_WIDTH
from empower.web.accounts.models import Organisation
from empower.web.assessments.models import Assessment, AxisScore
from empower.web.people.models import ConsentDecision, Participant, Purpose

#: The consent purpose that lets the API return a person's records.
PURPOSE = Purpose.OWN_REPORTING
#: Codes are at most this long (``Participant.code``); anything longer names nobody.
MAX_CODE = Participant._meta.get_field("code").max_length


def consenting_participants(organisation: Organisation) -> QuerySet[Participant]:
    in_force = ConsentDecision.objects.in_force(PURPOSE).filter(
        consent__participant=OuterRef("pk")
    )
    return Participant.objects.for_organisation(organisation).filter(Exists(in_force))


def participants(organisation: Organisation) -> QuerySet[Participant]:
    return (
        consenting_participants(organisation)
        .annotate(n_assessments=Count("assessments"), first_on=Min("assessments__conducted_on"))
        .order_by("code")
    )


def assessments(organisation: Organisation) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(participant__in=consenting_participants(organisation))
        .select_related("participant")
        .prefetch_related("scores")
        .order_by("conducted_on", "id")
    )


def scores(organisation: Organisation) -> QuerySet[AxisScore]:
    return (
        AxisScore.objects.filter(
            assessment__participant__in=consenting_participants(organisation)
        )
        .select_related("assessment__participant")
        .order_by("assessment__participant__code", "assessment__conducted_on",
                  "assessment_id", "axis")
    )


def check_code(code: str) -> str:
    """404 for a value that cannot be a participant code (too long, or holding a NUL, which
    PostgreSQL refuses in a query)."""
    if len(code) > MAX_CODE or "\x00" in code:
        raise Http404
    return code


def by_code(people: QuerySet[Participant], code: str) -> Participant:
    """The participant of ``people`` with ``code`` in any case (``p-7kq4mx`` is
    ``P-7KQ4MX``, as on the site's pages and in imports), or 404.

    Codes are made in capitals, so two codes that differ only in case should never exist; if
    two ever do, only the exact one is found rather than either of them."""
    found = list(people.filter(code__iexact=check_code(code))[:2])
    if len(found) == 1:
        return found[0]
    exact = people.filter(code=code).first()
    if exact is None:
        raise Http404
    return exact


def age_band(year_of_birth: int | None, on: date | None) -> str | None:
    """Five-year band of the age at ``on``, e.g. ``"20-24"``.

    The API gives a band rather than the year of birth: year of birth is quasi-identifying
    (with gender and a code list it narrows people down), and a band is what analysis needs.
    """
    if year_of_birth is None or on is None or on.year < year_of_birth:
        return None
    low = (on.year - year_of_birth) // AGE_BAND_WIDTH * AGE_BAND_WIDTH
    return f"{low}-{low + AGE_BAND_WIDTH - 1}"


def participant_row(participant: Participant) -> dict[str, Any]:
    return {
        "code": participant.code,
        "gender": participant.gender or None,
        "age_band": age_band(participant.year_of_birth, getattr(participant, "first_on", None)),
        "exploitation_types": list(participant.exploitation_types or []),
        "status": participant.status or None,
        "assessments": getattr(participant, "n_assessments", 0),
    }


def _instrument(assessment: Assessment) -> Instrument | None:
    try:
        return get_instrument(assessment.instrument_id, assessment.instrument_version)
    except KeyError:
        return None


def shareable_answers(assessment: Assessment) -> dict[str, Any]:
    """Answers to the instrument's non-text, non-identifying items only.

    Free text is stored apart (``narratives``), but an answer whose item is unknown, free
    text or tagged identifying is left out here too, so nothing typed about a person can
    leave through the API even if it was stored in the wrong place.
    """
    instrument = _instrument(assessment)
    if instrument is None or not isinstance(assessment.answers, dict):
        return {}
    allowed = {
        item.id: item for item in instrument.items
        if item.kind != "text" and item.sensitivity != "identifying"
    }
    return {
        key: value for key, value in assessment.answers.items()
        if key in allowed and _on_scale(instrument, allowed[key], value)
    }


def _on_scale(instrument: Instrument, item: Item, value: Any) -> bool:
    """Whether ``value`` is an answer the item offers (or no answer at all).

    Anything else — words typed into a rating by an import, a value from an older wording —
    is left out rather than passed on: a value that is not one of the scale's options is text
    nobody checked.
    """
    if value is None:
        return True
    scale = instrument.scales.get(item.scale or "")
    if scale is None or isinstance(value, bool) or not isinstance(value, int | str):
        return False
    if value == PREFER_NOT_TO_SAY:
        return scale.prefer_not_to_say
    if value == NOT_APPLICABLE and item.kind == "effect":
        return True
    return any(type(option.value) is type(value) and option.value == value
               for option in scale.options)


def shareable_services(assessment: Assessment) -> list[dict[str, Any]]:
    """The services block of an interview, holding only what the instrument offers.

    The same rule as the answers: each stored service keeps its type, provider, whether it
    respected the person's wishes, its conditions and its effect on each axis, and only values
    that are options of the instrument's services block or effect scale. Anything else — a key
    the block does not have, a word typed where an option belongs, an axis the instrument does
    not measure — is dropped (a single value becomes ``null``), so nothing typed about a person
    leaves through the API. An instrument without a services block gives an empty list.
    """
    instrument = _instrument(assessment)
    if instrument is None or instrument.services is None:
        return []
    stored = assessment.services
    if not isinstance(stored, list):
        return []
    block = instrument.services
    effect_scale = instrument.scales.get(block.effect_scale)
    axes = instrument.axis_ids()
    return [
        {
            "service_type": _option(service.get("service_type"), block.service_types),
            "provider_type": _option(service.get("provider_type"), block.provider_types),
            # a recorded yes or no only ("not sure" is stored as no answer)
            "respected_wishes": _yes_no(service.get("respected_wishes")),
            "conditions": _conditions(service.get("conditions"), block.conditions),
            "effects": {
                axis: value for axis, value in _mapping(service.get("effects")).items()
                if axis in axes and _effect_on_scale(effect_scale, value)
            },
        }
        for service in stored
        if isinstance(service, dict)
    ]


def _same_option(value: Any, option: Option) -> bool:
    # exact type: True must not pass as the option 1, nor "1" as 1
    return type(option.value) is type(value) and option.value == value


def _option(value: Any, options: tuple[Option, ...]) -> str | int | None:
    return value if any(_same_option(value, option) for option in options) else None


def _yes_no(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _conditions(value: Any, options: tuple[Option, ...]) -> list[Any] | None:
    """The named conditions that are options of the block, in the stored order; ``None`` when
    the conditions were not asked about (or what is stored is not a list)."""
    if not isinstance(value, list):
        return None
    return [item for item in value if any(_same_option(item, option) for option in options)]


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _effect_on_scale(scale: ResponseScale | None, value: Any) -> bool:
    """Whether ``value`` is an effect the scale offers, "does not apply", or no answer."""
    if value is None:
        return True
    if scale is None:
        return False
    if value == PREFER_NOT_TO_SAY and isinstance(value, str):
        return scale.prefer_not_to_say
    if value == NOT_APPLICABLE and isinstance(value, str):
        return True  # an effect may always be "does not apply"
    return any(_same_option(value, option) for option in scale.options)


def assessment_row(assessment: Assessment) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "participant": assessment.participant.code,
        "instrument_id": assessment.instrument_id,
        "instrument_version": assessment.instrument_version,
        "conducted_on": assessment.conducted_on,
        "language": assessment.language,
        "answers": shareable_answers(assessment),
        "services": shareable_services(assessment),
        "scores": [
            {"axis": s.axis, "score": s.score, "missing_reason": s.missing_reason,
             "source": s.source}
            for s in sorted(assessment.scores.all(), key=lambda s: s.axis)
        ],
    }


def score_row(score: AxisScore) -> dict[str, Any]:
    return {
        "participant": score.assessment.participant.code,
        "assessment": score.assessment_id,
        "conducted_on": score.assessment.conducted_on,
        "instrument_id": score.instrument_id,
        "instrument_version": score.instrument_version,
        "axis": score.axis,
        "score": score.score,
        "missing_reason": score.missing_reason,
        "source": score.source,
    }


def instrument_data(instrument: Instrument) -> dict[str, Any]:
    """An instrument as plain data (its questions, scales and axes, every language)."""
    from dataclasses import asdict

    data = asdict(instrument)
    data["languages"] = list(instrument.languages)
    data["scales"] = [asdict(scale) for scale in instrument.scales.values()]
    return data
