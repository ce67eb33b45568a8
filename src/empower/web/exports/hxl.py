"""Aggregate tables by instrument version and axis, tagged with HXL hashtags.

One row per (instrument, version, axis): how many participants have a score (each one's most
recent assessment with that version, as in the cohort report), their mean score, how many were
assessed at least twice with that version and how many of those reliably improved (Jacobson &
Truax's reliable change index, ``empower.metrics.change``). Change is measured within one
instrument version, so that each row describes one set of questions; the cohort report also
compares across versions on shared axes.

Disclosure control is the cohort report's (``docs/disclosure-control.md``): for anyone but the
organisation's own staff, means over fewer people than the threshold are withheld, the
reliable-change counts get primary and complementary suppression
(``protect_change_summary``), and a cohort smaller than the threshold has every number
withheld. Withheld cells are empty and the row's note says why.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from empower.instruments import library
from empower.instruments.model import text_in
from empower.metrics.change import (
    baseline_sd,
    classify_change,
    cohort_change_summary,
    protect_change_summary,
)
from empower.metrics.cohort import axis_summary
from empower.metrics.privacy import Audience, suppress_statistic, threshold_for
from empower.reports.exports import Table, Variable
from empower.web.accounts.models import Organisation
from empower.web.assessments.change import reliabilities, score_frame
from empower.web.assessments.models import Assessment

from .datasets import _assessments, _included_note

#: The columns, their headers and hashtags. The hashtags (#meta, #indicator, #affected,
#: #description) are HXL core, and so are the attributes used with them as the core schema
#: lists them: +num, +pct, +code and +name with #indicator, +ind (individual people, not
#: households) with #affected, which is a number already and takes no +num. +instrument,
#: +mean, +compared and +improved are Empower's own attributes, which HXL allows for refining
#: a core hashtag.
VARIABLES = [
    Variable("instrument_id", "Instrument", hxl="#meta+instrument"),
    Variable("instrument_version", "Instrument version", hxl="#meta+version"),
    Variable("axis", "Axis", hxl="#indicator+code"),
    Variable("axis_label", "Axis name", hxl="#indicator+name"),
    Variable("participants", "Participants with a score", "number", hxl="#affected+ind"),
    Variable("mean_score", "Mean score (0-100)", "number", hxl="#indicator+num+mean"),
    Variable("compared", "Participants assessed twice or more", "number",
             hxl="#affected+ind+compared"),
    Variable("reliably_improved", "Participants who reliably improved", "number",
             hxl="#affected+ind+improved"),
    Variable("reliably_improved_pct", "Share who reliably improved (%)", "number",
             hxl="#indicator+pct+improved"),
    Variable("note", "Note", hxl="#description"),
]


def _latest(assessments: list[Assessment]) -> list[Assessment]:
    latest: dict[tuple[int, str], Assessment] = {}
    for a in sorted(assessments, key=lambda a: (a.conducted_on, a.pk)):
        latest[(a.participant_id, a.instrument_key)] = a
    return list(latest.values())


def _whole(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _change(assessments: list[Assessment], audience: Audience,
            threshold: int) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Protected reliable-change counts per (instrument, version, axis)."""
    reliability, _notes = reliabilities(assessments)
    scores = score_frame(assessments)
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (instrument, version, axis), frame in scores.groupby(
        ["instrument_id", "instrument_version", "axis"], sort=False
    ):
        key = (str(instrument), str(version), str(axis))
        if key not in reliability:
            found[key] = {"note": "reliability unknown: change not measured"}
            continue
        try:
            # scores that differ only by rounding error do not vary: no change can be told
            # from measurement error (the same rule as the cohort report's change bands)
            if not baseline_sd(frame)[axis] > 1e-9:
                raise ValueError("no spread")
            classified = classify_change(frame, {key: reliability[key]})
        except ValueError:
            found[key] = {"note": "first scores do not vary enough: change not measured"}
            continue
        summary = protect_change_summary(cohort_change_summary(classified), audience, threshold)
        row = summary.iloc[0].to_dict()
        share = row.get("reliably_improved_share")
        found[key] = {
            "compared": _whole(row.get("n")),
            "reliably_improved": _whole(row.get("reliably_improved")),
            "reliably_improved_pct": None if share is None or pd.isna(share) else 100 * share,
            "withheld": bool(row.get("withheld")),
        }
    return found


def aggregates_table(organisation: Organisation, purpose: str, audience: Audience) -> Table:
    assessments = _assessments(organisation, purpose)
    people = {a.participant_id for a in assessments}
    labels = {a.id: text_in(a.label, "en")[0] for i in library().values() for a in i.axes}
    axis_order = list(labels)
    limit = threshold_for(audience, organisation.small_cell_threshold)
    rows: list[dict[str, Any]] = []
    if assessments:
        latest = score_frame(_latest(assessments)).drop(columns="date")
        summary = axis_summary(latest, axis_order=axis_order)
        change = _change(assessments, audience, organisation.small_cell_threshold)
        for record in summary.to_dict("records"):
            key = (record["instrument_id"], str(record["instrument_version"]), record["axis"])
            n = int(record["n"])
            moved = change.get(key, {})
            row = {
                "instrument_id": key[0], "instrument_version": key[1], "axis": key[2],
                "axis_label": labels.get(key[2], key[2]), "participants": n,
                "mean_score": None if pd.isna(record["mean"]) else round(record["mean"], 2),
                "compared": moved.get("compared"),
                "reliably_improved": moved.get("reliably_improved"),
                "reliably_improved_pct": None if moved.get("reliably_improved_pct") is None
                else round(moved["reliably_improved_pct"], 1),
                "note": moved.get("note"),
            }
            mean_hidden = limit is not None and n > 0 and suppress_statistic(n, limit)
            if mean_hidden:
                row["mean_score"] = None
            if mean_hidden or moved.get("withheld"):
                row["note"] = f"some numbers withheld: fewer than {limit} people"
            rows.append(row)
    notes = [_included_note(organisation, purpose)]
    if limit is None:
        notes.append("For the organisation's own staff: no numbers are withheld. "
                      "Do not share this file outside the organisation.")
    else:
        notes.append(f"For audience '{audience.value}': numbers about fewer than {limit} "
                     "people are withheld (empty), with a few others that would give them away.")
        if 0 < len(people) < limit:
            for row in rows:
                for column in ("participants", "mean_score", "compared", "reliably_improved",
                               "reliably_improved_pct"):
                    row[column] = None
                row["note"] = f"all numbers withheld: fewer than {limit} participants in all"
    return Table("aggregates", "Empower axis scores and reliable change, totals",
                 list(VARIABLES), rows, notes=notes)
