"""Gather a cohort from the database and hand it to the pure metrics and report packages.

Only participants whose consent, in force now, covers the organisation's own reporting are
counted: a withdrawal takes them out of every report from the moment it is recorded.

A report for anyone but the organisation's staff is a *release*: before it is shown it is
checked against every earlier release in the ledger (``empower.web.exports.ledger``), so that
two reports compared side by side never describe fewer people than the threshold — for
example the one person who withdrew in between. The check sits outside the stored
computation: what is stored is the same for everyone, what is released depends on what went
out before.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import defaultdict
from typing import Any

import pandas as pd
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from empower.instruments import get_instrument, library, score
from empower.instruments.model import text_in
from empower.metrics.change import classify_change
from empower.metrics.cohort import axis_summary, factor_axis_map, sample_profile
from empower.metrics.privacy import (
    Audience,
    protect_cohort_report,
    published_contributions,
    round_for_release,
    withhold_tables,
)
from empower.reports.cohort import RENDERING_VERSION, build_cohort_report, render_cohort_html
from empower.web.accounts.models import Organisation
from empower.web.exports.ledger import Decision, decide, remember, sealed
from empower.web.people.models import (
    ConsentDecision,
    Exploitation,
    Gender,
    Participant,
    Status,
)
from empower.web.reportcache.cache import cached, stored

from .change import cohort_change, reliabilities, reportable_assessments, score_frame
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
    organisation: Organisation, assessments: list[Assessment] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(participants, axis scores, factor effects) as plain frames for the metrics package;
    ``assessments``: those of the people the reports count, when already read."""
    participants = list(reportable_participants(organisation))
    if assessments is None:
        assessments = reportable_assessments(organisation)
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


#: The name of the cohort report in the release ledger.
PRODUCT = "cohort_report"


def cohort_report(
    organisation: Organisation, language: str = "en", audience: str = Audience.INTERNAL
) -> dict[str, Any]:
    """The cohort report for ``organisation`` as plain JSON-able data, protected for
    ``audience``: anyone outside the organisation's own staff sees small cells suppressed,
    statistics rounded, and figures checked against earlier releases (:func:`released`).

    Computed once per change of the organisation's data (``reportcache``)."""
    computed = cached(
        organisation, "cohort_report", (audience, language, who_counts(organisation)),
        lambda: _compute_cohort_report(organisation, language, audience),
    )
    if Audience(audience) is Audience.INTERNAL:
        return computed
    return released(organisation, language, audience, computed)


def _figures_digest(report: dict[str, Any]) -> str:
    text = json.dumps(report, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _html_parts(organisation: Organisation, language: str, audience: str,
                report: dict[str, Any] | None = None) -> tuple:
    parts: tuple = (RENDERING_VERSION, audience, language, who_counts(organisation))
    # A release may be an earlier one shown again: the rendering follows the figures shown.
    return parts if report is None else (*parts, _figures_digest(report))


def cohort_report_html(
    organisation: Organisation, language: str = "en", audience: str = Audience.INTERNAL
) -> str:
    """The cohort report as the site shows it (charts included), rendered once per change."""
    report = None if Audience(audience) is Audience.INTERNAL else cohort_report(
        organisation, language, audience)
    return cached(
        organisation, "cohort_report_html", _html_parts(organisation, language, audience, report),
        lambda: render_cohort_html(report or cohort_report(organisation, language, audience),
                                   standalone=False),
        encode=str, decode=str,
    )


def stored_cohort_report_html(
    organisation: Organisation, language: str = "en", audience: str = Audience.INTERNAL
) -> str | None:
    """The rendered report if it is ready for the current data, else None (nothing computed)."""
    report = None
    if Audience(audience) is not Audience.INTERNAL:
        counted = who_counts(organisation)
        ready = stored(organisation, "cohort_report", (audience, language, counted))
        if ready is None or stored(organisation, "cohort_contributions", (counted,)) is None:
            return None
        report = released(organisation, language, audience, ready)
    return stored(organisation, "cohort_report_html",
                  _html_parts(organisation, language, audience, report), decode=str)


# --------------------------------------------------------------------------------------------
# releases


def released(organisation: Organisation, language: str, audience: str,
             computed: dict[str, Any]) -> dict[str, Any]:
    """What a reader outside the staff is given: ``computed`` if it may be published (with any
    table withheld in which too few people changed), or the last release for this audience
    shown again while too few people have joined or left since, each time saying so."""
    contributions = published_contributions(cohort_contributions(organisation), computed)
    threshold = computed["meta"]["disclosure"]["threshold"]
    decision = decide(organisation, PRODUCT, audience, threshold, contributions)
    if decision.kind in ("new", "same"):
        report = withhold_tables(computed, decision.withhold)
        assert decision.release is not None
        remember(decision.release, language, report)
        return _with_release_note(report, decision, threshold)
    earlier = None if decision.release is None else decision.release.figures
    if earlier:
        report = earlier.get(language) or _relabelled(next(iter(earlier.values())), language)
        return _with_release_note(copy.deepcopy(report), decision, threshold)
    return _with_release_note(_nothing_shown(computed), decision._replace(kind="refused"),
                              threshold)


def _nothing_shown(report: dict[str, Any]) -> dict[str, Any]:
    tables = ["age", *(f"breakdown:{k}" for k in report["sample"]["breakdowns"])]
    tables += [f"axis:{r['instrument_id']}@{r['instrument_version']}:{r['axis']}"
               for r in report["axis_scores"]]
    tables += [f"factor:{r['factor']}:{r['axis']}" for r in report["factor_axis_map"]]
    tables += [f"change:{r['axis']}" for r in (report.get("change") or {}).get("axes", [])]
    out = withhold_tables(report, tables)
    out["sample"]["n"] = None
    if out.get("change"):
        out["change"]["notes"] = []
    return out


#: How a report tells its readers what happened to it (``meta.disclosure.release.status``):
#: new figures and figures already released read the same.
_STATUS = {"new": "published", "same": "published", "held": "held", "refused": "refused"}


def _with_release_note(report: dict[str, Any], decision: Decision, threshold: int
                       ) -> dict[str, Any]:
    disclosure = report["meta"].setdefault("disclosure", {})
    since = None if decision.release is None else decision.release.made_at.date().isoformat()
    words = {"threshold": threshold, "date": since}
    if decision.kind == "held":
        note = _("These are the figures first shown on %(date)s, shown again unchanged. Since "
                 "then fewer than %(threshold)s people have joined, left or had new answers "
                 "counted, and new figures would let anyone who compares the two reports work "
                 "out something about those few people. New figures will be shown once more "
                 "people have changed.") % words
    elif decision.kind == "refused":
        note = _("No figures can be shown yet: they differ by fewer than %(threshold)s "
                 "people from figures given earlier to other readers, and comparing the two "
                 "would reveal something about those few people.") % words
    elif decision.withhold:
        note = _("Some tables are withheld: in each, fewer than %(threshold)s people changed "
                 "since figures given earlier, and comparing the two would reveal something "
                 "about those few people.") % words
    else:
        note = ""
    disclosure["release"] = {"status": _STATUS[decision.kind], "since": since,
                             "withheld_tables": sorted(decision.withhold)}
    if note:
        disclosure["note"] = " ".join(filter(None, [disclosure.get("note"), note]))
    return report


def _relabelled(report: dict[str, Any], language: str) -> dict[str, Any]:
    """An earlier release's figures with their names in ``language`` (its notes stay in the
    language they were first shown in)."""
    out = copy.deepcopy(report)
    labels = report_labels(language)
    for key, rows in out["sample"]["breakdowns"].items():
        names = labels["categories"].get(key, {})
        for row in rows:
            if row.get("category") in names:
                row["label"] = names[row["category"]]
    for row in [*out["axis_scores"], *out["factor_axis_map"],
                *(out.get("change") or {}).get("axes", [])]:
        row["axis_label"] = labels["axes"].get(row["axis"], row.get("axis_label"))
        if "factor" in row:
            row["factor_label"] = labels["factors"].get(row["factor"], row["factor_label"])
    return out


def cohort_contributions(organisation: Organisation) -> dict[str, Any]:
    """Who each figure of the cohort report counts and what they contribute, sealed for the
    ledger (see :data:`empower.metrics.privacy.Contributions`); computed once per change."""
    return cached(organisation, "cohort_contributions", (who_counts(organisation),),
                  lambda: sealed(_contributions(organisation)))


def _cells() -> defaultdict[str, defaultdict[str, dict[str, str]]]:
    return defaultdict(lambda: defaultdict(dict))


def _contributions(organisation: Organisation) -> dict[str, Any]:
    """Table → cell → participant → what they contribute, for every figure of the report
    (names as in ``empower.metrics.privacy.withhold_tables``)."""
    assessments = reportable_assessments(organisation)
    people, scores, effects = cohort_frames(organisation, assessments)
    codes = dict(reportable_participants(organisation).values_list("pk", "code"))
    tables = _cells()
    for person in people.to_dict("records"):
        code = person["code"]
        tables["sample"]["n"][code] = "1"
        if person["age"] is not None and person["age"] == person["age"]:
            tables["age"]["known"][code] = str(int(person["age"]))
        for key in ("gender", "status", "destination", "region"):
            tables[f"breakdown:{key}"][_category(person[key])][code] = "1"
        for kind in person["exploitation_types"] or [""]:
            tables["breakdown:exploitation_types"][_category(kind)][code] = "1"
    for row in scores.to_dict("records"):
        key = f"{row['instrument_id']}@{row['instrument_version']}:{row['axis']}"
        code, value = codes[row["participant"]], row["score"]
        if value is None or value != value:
            tables[f"axis-missing:{key}"]["missing"][code] = "1"
        else:
            tables[f"axis:{key}"]["scored"][code] = repr(float(value))
    for row in effects.to_dict("records"):
        cells = tables[f"factor:{row['factor']}:{row['axis']}"]
        code, effect = codes[row["participant"]], row["effect"]
        if row["not_applicable"]:
            cells["not_applicable"][code] = "1"
        elif effect is None or effect != effect:
            cells["unanswered"][code] = "1"
        else:
            cells["rated"][code] = str(int(effect))
            side = "empowering" if effect > 0 else "disempowering" if effect < 0 else "no_effect"
            cells[side][code] = "1"
    _change_contributions(assessments, codes, tables)
    return {t: {c: dict(m) for c, m in cells.items()} for t, cells in tables.items()}


def _category(value: Any) -> str:
    # as the report names it: "" for not given (None, NaN or blank)
    return "" if value is None or value != value or not str(value).strip() else str(value)


def _change_contributions(assessments: list[Assessment], codes: dict[int, str],
                          tables: defaultdict) -> None:
    """The change section's groups, as ``cohort_change`` forms them: per axis, who was
    compared (and their first and latest scores), each reliable-change and half-SD category,
    and who has a score in each 90-day bin of the trajectory (with their mean there)."""
    scores = score_frame(assessments)
    if scores.empty:
        return
    reliability, _notes = reliabilities(assessments)
    known = scores[[(i, v, a) in reliability for i, v, a in zip(
        scores["instrument_id"], scores["instrument_version"], scores["axis"], strict=True)]]
    for axis in known["axis"].unique():
        on_axis = known[known["axis"] == axis]
        cells = tables[f"change:{axis}"]
        try:
            classified = classify_change(on_axis, reliability)
        except ValueError:
            continue  # not analysed: the report shows nothing for this axis
        for row in classified.to_dict("records"):
            code = codes[row["participant"]]
            if row["category"] is None or row["category"] != row["category"]:
                cells["not_compared"][code] = "1"
                continue
            cells["compared"][code] = "|".join(str(row[k]) for k in (
                "baseline", "latest", "days", "baseline_instrument", "baseline_version",
                "latest_instrument", "latest_version"))
            cells[str(row["category"])][code] = "1"
            cells[f"mid_{row['mid']}"][code] = "1"
        timed = on_axis.dropna(subset=["score"]).copy()
        timed["date"] = pd.to_datetime(timed["date"])
        first = timed.groupby("participant")["date"].transform("min")
        timed["bin"] = ((timed["date"] - first).dt.days // 90) * 90
        means = timed.groupby(["bin", "participant"])["score"].mean()
        for (day, participant), mean in means.items():
            cells[f"days:{int(day)}"][codes[participant]] = repr(float(mean))


def _compute_cohort_report(organisation: Organisation, language: str, audience: str
                           ) -> dict[str, Any]:
    # Read once for both the sample and the change over time.
    assessments = reportable_assessments(organisation)
    people, scores, effects = cohort_frames(organisation, assessments)
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
    change = cohort_change(organisation, audience, assessments)
    for row in change["axes"]:
        row["axis_label"] = labels["axes"].get(row["axis"], row["axis"])
    protected["change"] = change
    # Outside the staff, statistics are rounded to what readers need (whole points, whole
    # percent): exact means of two reports would give the scores of whoever differs.
    return round_for_release(protected)
