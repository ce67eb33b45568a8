"""Change over time for a cohort: who reliably improved, on which axis, and how soon.

The database work is here; every number comes from ``empower.metrics.change`` and
``empower.metrics.reliability``. Only participants whose consent to the organisation's own
reporting is in force are counted (the same rule as the rest of the cohort report).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.utils.translation import gettext as _

from empower.instruments import Instrument, library
from empower.instruments.model import PREFER_NOT_TO_SAY
from empower.metrics.change import (
    RCI_CRITERION,
    baseline_sd,
    classify_change,
    cohort_change_summary,
    mean_trajectory,
    protect_change_summary,
    standard_error_of_difference,
    time_to_improvement,
)
from empower.metrics.privacy import Audience, suppress_statistic, threshold_for
from empower.metrics.reliability import cronbach_alpha, reverse_key
from empower.web.accounts.models import Organisation
from empower.web.reportcache.cache import cached

from .models import Assessment

#: A single 1–10 self-rating has no internal-consistency reliability. Until an organisation
#: has measured its test–retest reliability, this value is assumed, and the report says so.
LADDER_RELIABILITY = 0.80
#: Fewer complete answer sets than this and an alpha is too unstable to rely on.
MIN_FOR_ALPHA = 20


def reportable_assessments(organisation: Organisation) -> list[Assessment]:
    from .cohort import reportable_participants

    # The narratives (encrypted, and the largest field) are never part of a figure: not read.
    return list(
        Assessment.objects.filter(participant__in=reportable_participants(organisation))
        .defer("narratives").prefetch_related("scores")
    )


def score_frame(assessments: list[Assessment]) -> pd.DataFrame:
    rows = [
        {"participant": a.participant_id, "date": pd.Timestamp(a.conducted_on),
         "instrument_id": s.instrument_id, "instrument_version": s.instrument_version,
         "axis": s.axis, "score": s.score}
        for a in assessments for s in a.scores.all()
    ]
    return pd.DataFrame(rows, columns=["participant", "date", "instrument_id",
                                       "instrument_version", "axis", "score"])


def _subscale_alpha(instrument: Instrument, assessments: list[Assessment],
                    axis: str) -> float | None:
    items = [i for s in instrument.subscales if s.axis == axis for i in s.items]
    answers = pd.DataFrame(
        [{i: a.answers.get(i) for i in items} for a in assessments
         if a.instrument_key == instrument.key],
        columns=items,
    ).replace({PREFER_NOT_TO_SAY: None}).apply(pd.to_numeric, errors="coerce")
    if len(answers.dropna()) < MIN_FOR_ALPHA:
        return None
    reverse = [i for i in items if instrument.item(i).reverse]
    scale = instrument.scales[instrument.item(items[0]).scale or ""]
    keyed = reverse_key(answers, reverse, scale.minimum, scale.maximum)
    return float(cronbach_alpha(keyed, nan_policy="pairwise").alpha)


def reliabilities(assessments: list[Assessment]) -> tuple[dict[tuple, float], list[str]]:
    """Reliability per (instrument, version, axis), and plain-language notes on where each
    comes from."""
    found: dict[tuple, float] = {}
    notes = []
    for instrument in library().values():
        for axis in instrument.axis_ids():
            key = (instrument.id, instrument.version, axis)
            if instrument.scoring.method == "ladder":
                found[key] = LADDER_RELIABILITY
                continue
            alpha = _subscale_alpha(instrument, assessments, axis)
            if alpha is not None and 0 < alpha < 1:
                found[key] = alpha
        if instrument.scoring.method == "ladder":
            notes.append(
                _("%(instrument)s: one self-rating per axis, so its reliability cannot be "
                  "computed from one interview; %(reliability)s is assumed.")
                % {"instrument": instrument.key, "reliability": LADDER_RELIABILITY}
            )
        else:
            notes.append(
                _("%(instrument)s: reliability is Cronbach's alpha of each axis's items, "
                  "from this organisation's own answers.") % {"instrument": instrument.key}
            )
    return found, notes


def cohort_change(organisation: Organisation, audience: str = Audience.INTERNAL,
                  assessments: list[Assessment] | None = None) -> dict[str, Any]:
    """The change section of the cohort report, as plain data (from ``assessments`` when the
    caller has already read them: those of the people the reports count)."""
    assessments = reportable_assessments(organisation) if assessments is None else assessments
    scores = score_frame(assessments)
    reliability, notes = reliabilities(assessments)
    if scores.empty:
        return {"axes": [], "notes": notes}
    known = scores[[
        (i, v, a) in reliability
        for i, v, a in zip(scores["instrument_id"], scores["instrument_version"], scores["axis"],
                           strict=True)
    ]]
    parts, times = [], {}
    for axis in known["axis"].unique():
        # One axis that cannot be analysed (every baseline the same, say) must not take the
        # others down with it: it is left out with the reason.
        scores_on_axis = known[known["axis"] == axis]
        try:
            parts.append(classify_change(scores_on_axis, reliability))
            times[axis] = time_to_improvement(scores_on_axis, reliability, axis=axis)
        except ValueError:
            notes.append(
                _("%(axis)s: not analysed — the first scores do not vary enough, or too few "
                  "people have them, to tell a reliable change from measurement error.")
                % {"axis": axis}
            )
    if not parts:
        return {"axes": [], "notes": notes}
    classified = pd.concat(parts, ignore_index=True)
    summary = cohort_change_summary(classified, times=times)
    summary = protect_change_summary(summary, audience, organisation.small_cell_threshold)
    crossed = classified["comparison_note"].fillna("").str.contains("across versions")
    across = classified.loc[crossed, "participant"].nunique()
    small = threshold_for(audience, organisation.small_cell_threshold)
    if across and small is not None and suppress_statistic(across, small):
        # A count of a few people is itself a small cell: outside the staff, say it without it.
        notes.append(_("Some participants were assessed with two instrument versions; their "
                       "change is measured only on the axes both versions share."))
    elif across:
        notes.append(
            _("%(count)s participants were assessed with two instrument versions; their change "
              "is measured only on the axes both versions share.") % {"count": across}
        )
    rows = summary.astype(object).where(summary.notna(), None).to_dict("records")
    shown = {row["axis"] for row in rows if not row.get("withheld")}
    curves = {
        str(axis): {"timeline": [float(t) for t in km.timeline],
                    "survival": [float(s) for s in km.survival]}
        for axis, km in times.items()
        # Each step of a curve is one person's own date of improvement: shared reports give the
        # median only, never the curve.
        if axis in shown and audience == Audience.INTERNAL
    }
    trajectory = mean_trajectory(known).to_dict("records")
    threshold = threshold_for(audience, organisation.small_cell_threshold)
    for point in trajectory:
        if threshold is not None and suppress_statistic(point["n"], threshold):
            point["mean"] = point["n"] = None
    return {"axes": rows, "curves": curves, "trajectory": trajectory, "notes": notes}


def change_bands(organisation: Organisation, first: Assessment) -> dict[str, float]:
    """Half-width of the reliable-change band (1.96 · S_diff) per axis, for a participant whose
    first assessment is ``first``; computed from the organisation's cohort (its baseline SD and
    reliabilities). Axes that cannot be estimated are left out."""
    return cohort_bands(organisation).get(f"{first.instrument_id}@{first.instrument_version}", {})


def cohort_bands(organisation: Organisation) -> dict[str, dict[str, float]]:
    """The bands of ``change_bands`` for every instrument version ("id@version" → axis → band),
    computed once per change of the organisation's data and shared by every participant page."""
    from .cohort import who_counts

    return cached(organisation, "change_bands", (who_counts(organisation),),
                  lambda: _cohort_bands(organisation))


def _cohort_bands(organisation: Organisation) -> dict[str, dict[str, float]]:
    assessments = reportable_assessments(organisation)
    reliability, _notes = reliabilities(assessments)
    scores = score_frame(assessments)
    sds: dict[str, float] = {}
    for axis in scores["axis"].unique() if len(scores) else []:
        try:
            sd = baseline_sd(scores[scores["axis"] == axis])[axis]
        except (ValueError, KeyError):
            continue
        if sd > 1e-9:  # every first score the same (or unknown): no band can be drawn
            sds[str(axis)] = float(sd)
    bands: dict[str, dict[str, float]] = {}
    for (instrument_id, version, axis), r in reliability.items():
        if axis in sds:
            bands.setdefault(f"{instrument_id}@{version}", {})[axis] = float(
                RCI_CRITERION * standard_error_of_difference(sds[axis], r)
            )
    return bands
