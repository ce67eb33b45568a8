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
withheld. Withheld cells are empty and the row's note says why. Means are whole numbers and
shares whole percent for them, and every such file is a release checked against the earlier
ones (:func:`release_aggregates`, ``ledger``): a file that would differ from an earlier report
or file by fewer people than the threshold is not made; the earlier file is made again.
"""

from __future__ import annotations

from collections import defaultdict
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
from empower.metrics.privacy import (
    SAMPLE_TABLE,
    Audience,
    round_half_up,
    suppress_statistic,
    threshold_for,
)
from empower.reports.exports import Table, Variable
from empower.web.accounts.models import Organisation
from empower.web.assessments.change import reliabilities, score_frame
from empower.web.assessments.models import Assessment

from .datasets import _assessments, _included_note
from .ledger import decide, remember, sealed

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
            # Outside the staff: whole points and whole percent, all a reader needs; exact
            # means of two files would give the scores of whoever differs between them.
            points, percent = (2, 1) if limit is None else (0, 0)
            row = {
                "instrument_id": key[0], "instrument_version": key[1], "axis": key[2],
                "axis_label": labels.get(key[2], key[2]), "participants": n,
                "mean_score": round_half_up(record["mean"], points),
                "compared": moved.get("compared"),
                "reliably_improved": moved.get("reliably_improved"),
                "reliably_improved_pct": round_half_up(moved.get("reliably_improved_pct"),
                                                       percent),
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


# --------------------------------------------------------------------------------------------
# releases


def _product(purpose: str) -> str:
    return f"aggregates:{purpose}"


def aggregates_contributions(organisation: Organisation, purpose: str
                             ) -> dict[str, dict[str, dict[str, str]]]:
    """Who each figure of the file counts and what they contribute (see
    ``empower.metrics.privacy.Contributions``): ``sample`` (everyone in the file),
    ``axis:<instrument>@<version>:<axis>`` (each one's latest score, named as in the cohort
    report so that the two are compared with each other) and
    ``change-version:<instrument>@<version>:<axis>`` (who was compared, with their first and
    latest score, and who reliably improved)."""
    assessments = _assessments(organisation, purpose)
    codes = {a.participant_id: a.participant.code for a in assessments}
    tables: defaultdict[str, defaultdict[str, dict[str, str]]] = defaultdict(
        lambda: defaultdict(dict))
    for code in codes.values():
        tables[SAMPLE_TABLE]["n"][code] = "1"
    if not assessments:
        return {}
    latest = score_frame(_latest(assessments))
    for row in latest.dropna(subset=["score"]).to_dict("records"):
        key = f"{row['instrument_id']}@{row['instrument_version']}:{row['axis']}"
        tables[f"axis:{key}"]["scored"][codes[row["participant"]]] = repr(float(row["score"]))
    reliability, _notes = reliabilities(assessments)
    scores = score_frame(assessments)
    for (instrument, version, axis), frame in scores.groupby(
        ["instrument_id", "instrument_version", "axis"], sort=False
    ):
        key = (str(instrument), str(version), str(axis))
        if key not in reliability:
            continue
        try:
            if not baseline_sd(frame)[axis] > 1e-9:
                continue
            classified = classify_change(frame, {key: reliability[key]})
        except ValueError:
            continue
        cells = tables[f"change-version:{instrument}@{version}:{axis}"]
        for row in classified.dropna(subset=["category"]).to_dict("records"):
            code = codes[row["participant"]]
            cells["compared"][code] = f"{row['baseline']}|{row['latest']}|{row['days']}"
            improved = row["category"] == "reliably_improved"
            cells["reliably_improved" if improved else "not_improved"][code] = "1"
    return {t: {c: dict(m) for c, m in cells.items()} for t, cells in tables.items()}


def _row_key(row: dict[str, Any]) -> str:
    return f"{row['instrument_id']}@{row['instrument_version']}:{row['axis']}"


def _published(contributions: dict[str, Any], table: Table) -> dict[str, Any]:
    """What the (protected) file actually shows: a withheld mean publishes only who is
    counted, withheld change counts publish nothing."""
    if table.rows and all(row["participants"] is None for row in table.rows):
        return {}  # every number withheld
    published = {t: {c: dict(m) for c, m in cells.items()} for t, cells in contributions.items()}
    for row in table.rows:
        key = _row_key(row)
        scored = published.get(f"axis:{key}")
        if scored is not None and row["mean_score"] is None:
            published[f"axis:{key}"] = {c: dict.fromkeys(m, "1") for c, m in scored.items()}
        change = published.get(f"change-version:{key}")
        if change is not None and row["compared"] is None:
            del published[f"change-version:{key}"]
        elif change is not None and row["reliably_improved"] is None:
            for cell in ("reliably_improved", "not_improved"):
                change.pop(cell, None)
    return published


def release_aggregates(organisation: Organisation, purpose: str, audience: Audience,
                       table: Table) -> Table:
    """The file of totals a reader outside the staff is given: ``table``, with any row
    withheld in which too few people changed since an earlier release, or — when too few
    people joined or left in all — the last file for this audience and purpose made again,
    saying so in its notes."""
    threshold = threshold_for(audience, organisation.small_cell_threshold)
    assert threshold is not None
    contributions = sealed(aggregates_contributions(organisation, purpose))
    decision = decide(organisation, _product(purpose), audience, threshold,
                      _published(contributions, table))
    since = None if decision.release is None else f"{decision.release.made_at:%Y-%m-%d}"
    if decision.kind in ("held", "refused"):
        earlier = (decision.release.figures if decision.release else {}).get("table")
        if earlier:
            why = (f"These are the totals first given on {since}, made again unchanged: since "
                   f"then fewer than {threshold} people have joined, left or had new answers "
                   "counted, and new totals would let anyone who compares the two files work "
                   "out something about those few people.")
            rows = [{**row, "note": why} for row in earlier["rows"]]
            notes = earlier["notes"]
        else:
            why = (f"No totals can be given yet: they differ by fewer than {threshold} people "
                   "from figures given earlier to other readers, and comparing the two would "
                   "reveal something about those few people.")
            rows = [{**row, **dict.fromkeys(_NUMBERS), "note": why} for row in table.rows]
            notes = table.notes
        return Table(table.name, table.title, table.variables, rows, [*notes, why])
    rows = []
    for row in table.rows:
        row = dict(row)
        key = _row_key(row)
        if f"axis:{key}" in decision.withhold:
            row.update(participants=None, mean_score=None)
        if f"change-version:{key}" in decision.withhold:
            row.update(compared=None, reliably_improved=None, reliably_improved_pct=None)
        if {f"axis:{key}", f"change-version:{key}"} & decision.withhold:
            row["note"] = ("withheld: too few people changed since figures given earlier, "
                           "and comparing the two would reveal something about them")
        rows.append(row)
    released = Table(table.name, table.title, table.variables, rows, list(table.notes))
    assert decision.release is not None
    remember(decision.release, "table", {"rows": rows, "notes": released.notes})
    return released


_NUMBERS = ("participants", "mean_score", "compared", "reliably_improved",
            "reliably_improved_pct")
