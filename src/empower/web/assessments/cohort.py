"""Gather a cohort from the database and hand it to the pure metrics and report packages.

Only participants whose consent, in force now, covers the organisation's own reporting are
counted: a withdrawal takes them out of every report from the moment it is recorded.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from empower.instruments import get_instrument, library, score
from empower.instruments.model import text_in
from empower.metrics.cohort import axis_summary, factor_axis_map, sample_profile
from empower.metrics.privacy import Audience, protect_cohort_report
from empower.reports.cohort import RENDERING_VERSION, build_cohort_report, render_cohort_html
from empower.web.accounts.models import Organisation
from empower.web.people.models import (
    ConsentDecision,
    Exploitation,
    Gender,
    Participant,
    Status,
)
from empower.web.reportcache.cache import cached, stored

from .change import cohort_change
from .models import Assessment


def reportable_participants(organisation: Organisation) -> Any:
    """Participants of ``organisation`` with an assessment and consent to its own reporting."""
    consent_in_force = ConsentDecision.objects.in_force("own_reporting").filter(
        consent__participant=OuterRef("pk")
    )
    return (
        Participant.objects.for_organisation(organisation)
        .filter(Exists(consent_in_force), assessments__isnull=False)
        .distinct()
    )


def who_counts(organisation: Organisation) -> str:
    """A digest of exactly who the organisation's reports count now.

    Part of every cached report's key: besides the data version that each recorded change
    raises, the key changes whenever anyone enters or leaves the reports for any reason —
    a consent that lapsed overnight or a change made outside the site — so a person whose
    consent has ended is never counted from a stored report."""
    ids = reportable_participants(organisation).order_by("pk").values_list("pk", flat=True)
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]


def _latest_per_participant(assessments: list[Assessment]) -> list[Assessment]:
    """Each participant's most recent assessment for each instrument version."""
    latest: dict[tuple[int, str], Assessment] = {}
    for a in sorted(assessments, key=lambda a: (a.conducted_on, a.pk)):
        latest[(a.participant_id, a.instrument_key)] = a
    return list(latest.values())


def cohort_frames(
    organisation: Organisation,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(participants, axis scores, factor effects) as plain frames for the metrics package."""
    participants = list(reportable_participants(organisation))
    assessments = list(
        Assessment.objects.filter(participant__in=participants).prefetch_related("scores")
    )
    first_interview: dict[int, Any] = {}
    for a in assessments:
        first_interview[a.participant_id] = min(
            a.conducted_on, first_interview.get(a.participant_id, a.conducted_on)
        )
    people = pd.DataFrame(
        [
            {
                "code": p.code,
                "gender": p.gender or None,
                "age": p.age_at(first_interview.get(p.pk)),
                "region": p.region_of_origin or None,
                "exploitation_types": list(p.exploitation_types),
                "destination": p.destination_country or None,
                "status": p.status or None,
            }
            for p in participants
        ],
        columns=["code", "gender", "age", "region", "exploitation_types", "destination",
                 "status"],
    )
    latest = _latest_per_participant(assessments)
    scores = pd.DataFrame(
        [
            {
                "participant": a.participant_id,
                "instrument_id": s.instrument_id,
                "instrument_version": s.instrument_version,
                "axis": s.axis,
                "score": s.score,
            }
            for a in latest
            for s in a.scores.all()
        ],
        columns=["participant", "instrument_id", "instrument_version", "axis", "score"],
    )
    effects = pd.DataFrame(
        [
            {
                "participant": a.participant_id,
                "factor": e.factor,
                "axis": e.axis,
                "effect": e.effect,
                "not_applicable": e.not_applicable,
            }
            for a in latest
            if a.instrument.kind == "four_axis_interview"
            for e in score(a.instrument, a.answers, a.services).factor_effects
        ],
        columns=["participant", "factor", "axis", "effect", "not_applicable"],
    )
    return people, scores, effects


def report_labels(language: str) -> dict[str, Any]:
    """Labels for axes, factors and demographic categories in ``language``."""
    axes: dict[str, str] = {}
    factors: dict[str, str] = {}
    for instrument in library().values():
        for axis in instrument.axes:
            axes.setdefault(axis.id, text_in(axis.label, language)[0])
        for factor in instrument.factors:
            factors.setdefault(factor.id, text_in(factor.label, language)[0])
    return {
        "axes": axes,
        "factors": factors,
        "categories": {
            "gender": {k: str(v) for k, v in Gender.choices},
            "status": {k: str(v) for k, v in Status.choices},
            "exploitation_types": {k: str(v) for k, v in Exploitation.choices},
        },
    }


def cohort_report(
    organisation: Organisation, language: str = "en", audience: str = Audience.INTERNAL
) -> dict[str, Any]:
    """The cohort report for ``organisation`` as plain JSON-able data, protected for
    ``audience``: anyone outside the organisation's own staff sees small cells suppressed.

    Computed once per change of the organisation's data (``reportcache``)."""
    return cached(
        organisation, "cohort_report", (audience, language, who_counts(organisation)),
        lambda: _compute_cohort_report(organisation, language, audience),
    )


def _html_parts(organisation: Organisation, language: str, audience: str) -> tuple:
    return (RENDERING_VERSION, audience, language, who_counts(organisation))


def cohort_report_html(
    organisation: Organisation, language: str = "en", audience: str = Audience.INTERNAL
) -> str:
    """The cohort report as the site shows it (charts included), rendered once per change."""
    return cached(
        organisation, "cohort_report_html", _html_parts(organisation, language, audience),
        lambda: render_cohort_html(cohort_report(organisation, language, audience),
                                   standalone=False),
        encode=str, decode=str,
    )


def stored_cohort_report_html(
    organisation: Organisation, language: str = "en", audience: str = Audience.INTERNAL
) -> str | None:
    """The rendered report if it is ready for the current data, else None (nothing computed)."""
    return stored(organisation, "cohort_report_html",
                  _html_parts(organisation, language, audience), decode=str)


def _compute_cohort_report(organisation: Organisation, language: str, audience: str
                           ) -> dict[str, Any]:
    people, scores, effects = cohort_frames(organisation)
    labels = report_labels(language)
    axis_order = list(labels["axes"])
    interview = get_instrument("empowerment-interview")
    factor_map = (
        factor_axis_map(effects, factor_order=list(interview.factor_ids()), axis_order=axis_order)
        if not effects.empty else None
    )
    synthetic = Participant.objects.for_organisation(organisation).filter(
        is_synthetic=True
    ).exists()
    meta = {
        "organisation": organisation.name,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "synthetic": synthetic,
        "counted": _("participants with an assessment and consent, in force now, to the "
                     "organisation's own reporting; scores from each participant's most recent "
                     "assessment with each instrument version"),
        "instruments": sorted(set(scores["instrument_id"] + "@" + scores["instrument_version"]))
        if not scores.empty else [],
    }
    report = build_cohort_report(
        sample_profile(people), axis_summary(scores, axis_order=axis_order), factor_map,
        labels, meta,
    )
    protected = protect_cohort_report(
        report, audience, organisation.small_cell_threshold,
        ages=[age for age in people["age"] if age is not None and age == age],
    )
    change = cohort_change(organisation, audience)
    for row in change["axes"]:
        row["axis_label"] = labels["axes"].get(row["axis"], row["axis"])
    protected["change"] = change
    return protected
