"""The cohort report: the sample at a glance, axis scores and the factor × axis map.

Building and rendering are separate steps. :func:`build_cohort_report` turns the metric
tables into a plain, JSON-able dictionary – the one thing the web layer stores, caches, serves
through the API or hands to a privacy filter (small-cell suppression) before anyone sees it.
:func:`render_cohort_html` turns such a dictionary, and nothing else, into HTML, so a report
rendered tomorrow from stored JSON looks exactly like one rendered today.

Every count or statistic in the dictionary may be ``None`` (not computable, or suppressed);
the HTML shows "–" for it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from empower.instruments import DEFAULT_LANGUAGE, library, text_in
from empower.metrics.cohort import (
    AXIS_SUMMARY_COLUMNS,
    BREAKDOWN_KEYS,
    FACTOR_MAP_COLUMNS,
    SampleProfile,
)
from empower.reports import charts

#: How the category ``None`` (no answer recorded) is shown.
NOT_GIVEN = "Not given"
# Raise when the rendering changes (templates, charts): stored renderings of older versions are
# then never served again.
RENDERING_VERSION = 2
#: Default headings of the sample breakdowns; ``labels["breakdowns"]`` may override them.
BREAKDOWN_TITLES = {
    "gender": "Gender",
    "status": "Status at interview",
    "destination": "Destination of exploitation",
    "exploitation_types": "Type of exploitation",
    "region": "Region of origin",
}
MULTI_SELECT = ("exploitation_types",)
AXIS_COLUMNS = AXIS_SUMMARY_COLUMNS
FACTOR_COLUMNS = FACTOR_MAP_COLUMNS

_TEMPLATES = Path(__file__).parent / "templates"


# --------------------------------------------------------------------------------------------
# building


def json_value(value: Any) -> Any:
    """Convert numpy/pandas scalars, dates and containers to plain JSON types; NaN → None.

    ``json.dumps`` rejects numpy integers and writes NaN as the invalid token ``NaN``; a
    report must be valid JSON for the API and for storage.
    """
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def _label(labels: Mapping[str, Any], kind: str, key: Any) -> str:
    return str(labels.get(kind, {}).get(key, key))


def _category_label(labels: Mapping[str, Any], breakdown: str, category: str | None) -> str:
    if category is None:
        return NOT_GIVEN
    return str(labels.get("categories", {}).get(breakdown, {}).get(category, category))


def _sample(profile: SampleProfile, labels: Mapping[str, Any]) -> dict[str, Any]:
    titles = {**BREAKDOWN_TITLES, **labels.get("breakdowns", {})}
    breakdowns = {
        key: [
            {
                "category": row.category,
                "label": _category_label(labels, key, row.category),
                "count": row.count,
                "percent": row.percent,
            }
            for row in rows
        ]
        for key, rows in profile.breakdowns.items()
    }
    age = None if profile.age is None else vars(profile.age).copy()
    order = [k for k in BREAKDOWN_KEYS if k in breakdowns] + [
        k for k in breakdowns if k not in BREAKDOWN_KEYS
    ]
    return {
        "n": profile.n,
        "breakdowns": {k: breakdowns[k] for k in order},
        "breakdown_titles": {k: str(titles.get(k, k)) for k in order},
        "multi_select": [k for k in order if k in MULTI_SELECT],
        "age": age,
    }


def _records(table: pd.DataFrame | None, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    if table is None:
        return []
    present = [c for c in columns if c in table.columns]
    return table[present].to_dict(orient="records")


def _axis_scores(table: pd.DataFrame, labels: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {**row, "axis_label": _label(labels, "axes", row["axis"])}
        for row in _records(table, AXIS_COLUMNS)
    ]


def _factor_map(table: pd.DataFrame | None, labels: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "factor_label": _label(labels, "factors", row["factor"]),
            "axis_label": _label(labels, "axes", row["axis"]),
        }
        for row in _records(table, FACTOR_COLUMNS)
    ]


def _instruments(table: pd.DataFrame) -> list[dict[str, Any]]:
    if table.empty:
        return []
    pairs = table[["instrument_id", "instrument_version"]].drop_duplicates()
    return pairs.to_dict(orient="records")


def _meta(meta: Mapping[str, Any], axis_table: pd.DataFrame) -> dict[str, Any]:
    generated = meta.get("generated_at") or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return {
        **meta,
        "title": meta.get("title") or "Cohort report",
        "organisation": meta.get("organisation"),
        "generated_at": generated,
        "synthetic": bool(meta.get("synthetic", False)),
        "instruments": meta.get("instruments") or _instruments(axis_table),
    }


def build_cohort_report(
    profile: SampleProfile,
    axis_table: pd.DataFrame,
    factor_map: pd.DataFrame | None,
    labels: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    """Assemble the cohort report as a plain dictionary that ``json.dumps`` accepts as is.

    Parameters
    ----------
    profile : SampleProfile
        From :func:`empower.metrics.cohort.sample_profile`.
    axis_table : pandas.DataFrame
        From :func:`empower.metrics.cohort.axis_summary`.
    factor_map : pandas.DataFrame or None
        From :func:`empower.metrics.cohort.factor_axis_map`; ``None`` when the instrument
        version(s) recorded no effects.
    labels : mapping
        Display labels: ``{"axes": {id: label}, "factors": {id: label}, "categories":
        {breakdown: {category: label}}, "breakdowns": {breakdown: heading}}``; every part is
        optional and a missing label falls back to the id. The category ``None`` is shown as
        "Not given".
    meta : mapping
        ``organisation``, ``generated_at`` (defaults to now, UTC), ``synthetic`` (bool: the
        data are invented demo data), ``title``, ``instruments`` (defaults to the instrument
        versions in ``axis_table``), and anything else worth keeping; all copied through.

    Returns
    -------
    dict
        ``{"meta": {...}, "sample": {"n", "breakdowns": {key: [{category, label, count,
        percent}]}, "breakdown_titles", "multi_select", "age": {n, minimum, maximum, mean} or
        None}, "axis_scores": [{instrument_id, instrument_version, axis, axis_label, n,
        n_missing, mean, sd, median, minimum, maximum}], "factor_axis_map": [{factor,
        factor_label, axis, axis_label, n, n_not_applicable, n_unanswered, mean_effect,
        share_empowering, share_disempowering, share_no_effect}]}`` with NaN as ``None``
        and dates as ISO 8601 strings. Row order follows the input tables.
    """
    report = {
        "meta": _meta(meta, axis_table),
        "sample": _sample(profile, labels),
        "axis_scores": _axis_scores(axis_table, labels),
        "factor_axis_map": _factor_map(factor_map, labels),
    }
    return json_value(report)


# --------------------------------------------------------------------------------------------
# rendering


def _number(value: Any, digits: int = 1) -> str:
    """A statistic for a table cell; "–" when missing or suppressed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2013"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = f"{float(value):.{digits}f}"
    return text.replace("-", "\u2212") if float(text) != 0 else text.lstrip("-")


def _percent(value: Any, digits: int = 2) -> str:
    """A percentage already on the 0–100 scale."""
    text = _number(value, digits)
    return text if text == "\u2013" else f"{text}\u00a0%"


def _share(value: Any) -> str:
    """A share on the 0–1 scale, shown as a percentage with one decimal."""
    return _percent(None if value is None else 100 * float(value), 1)


def _when(value: Any) -> str:
    """An ISO 8601 timestamp as "2024-05-01 12:00 UTC" (as given when it does not parse)."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    zone = " UTC" if moment.utcoffset() == dt.timedelta(0) else moment.strftime(" %z")
    return moment.strftime("%Y-%m-%d %H:%M") + zone.rstrip()


def _environment(released: bool = False) -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=_number, percent=_percent, share=_share, when=_when)
    if released:
        # Figures for readers outside the organisation are rounded before they get here
        # (whole points, effects to one decimal, whole percent: ``privacy.round_for_release``);
        # showing more digits would only pretend to a precision they no longer have.
        env.filters.update(
            number=lambda value, digits=1: _number(value, min(digits, 1)),
            share=lambda value: _percent(None if value is None else 100 * float(value), 0),
        )
    return env


_ENV = _environment()
_RELEASED_ENV = _environment(released=True)


def _chart(svg: str, numbers_id: str) -> Markup:
    """A chart as markup safe to place in the page, described by the table ``numbers_id``."""
    return Markup(charts.describe(svg, numbers_id))


def _breakdown_charts(sample: Mapping[str, Any]) -> dict[str, Markup]:
    return {
        key: _chart(
            charts.bar_chart_svg(
                [(row["label"], row["count"]) for row in rows if row["count"] is not None],
                sample["breakdown_titles"][key],
                "participants",
            ),
            f"numbers-{key}",
        )
        for key, rows in sample["breakdowns"].items()
        if rows
    }


def _axis_chart(rows: list[Mapping[str, Any]], names: Mapping[str, str]) -> Markup | None:
    if not rows:
        return None
    table = pd.DataFrame(rows).astype({"mean": float, "sd": float})
    labels = {str(row["axis"]): str(row["axis_label"]) for row in rows}
    return _chart(
        charts.axis_scores_svg(table, "Mean axis score by question set", labels, names),
        "numbers-axis-scores",
    )


def _heatmap(rows: list[Mapping[str, Any]]) -> Markup | None:
    if not rows:
        return None
    table = pd.DataFrame(rows)
    factors = list(dict.fromkeys(table["factor"]))
    axes = list(dict.fromkeys(table["axis"]))
    means = table.pivot(index="factor", columns="axis", values="mean_effect")
    counts = table.pivot(index="factor", columns="axis", values="n")
    return _chart(
        charts.heatmap_svg(
            means.reindex(index=factors, columns=axes).astype(float),
            "Mean effect of each factor on each axis",
            row_labels={str(r["factor"]): str(r["factor_label"]) for r in rows},
            col_labels={str(r["axis"]): str(r["axis_label"]) for r in rows},
            annotations=counts.reindex(index=factors, columns=axes),
        ),
        "numbers-factor-axis-map",
    )


# --------------------------------------------------------------------------------------------
# instruments by name


def _report_language(report: Mapping[str, Any]) -> str:
    """The language the report's labels are in: ``meta.language`` when given, otherwise the
    language whose bundled axis names match the report's axis labels best (English if none)."""
    given = report.get("meta", {}).get("language")
    if given:
        return str(given)
    shown = {str(row.get("axis_label")) for row in report.get("axis_scores", [])}
    shown |= {str(row.get("axis_label")) for row in report.get("factor_axis_map", [])}
    matches: dict[str, int] = {}
    for instrument in library().values():
        for axis in instrument.axes:
            for language, text in axis.label.items():
                if text in shown:
                    matches[language] = matches.get(language, 0) + 1
    return max(matches, key=lambda language: matches[language], default=DEFAULT_LANGUAGE)


def readable_name(instrument_id: str) -> str:
    """A name to show for an instrument that is not installed here, made from its id.

    >>> readable_name("empowerment-scales")
    'Empowerment scales'
    """
    words = re.sub(r"[-_.]+", " ", instrument_id).strip()
    return words[:1].upper() + words[1:] if words else instrument_id


def _versions(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (id, version) the report mentions, in the order it first mentions them."""
    found: list[tuple[str, str]] = []
    for entry in report.get("meta", {}).get("instruments") or []:
        if isinstance(entry, Mapping):
            found.append((str(entry["instrument_id"]), str(entry["instrument_version"])))
        elif "@" in str(entry):
            found.append(tuple(str(entry).split("@", 1)))  # type: ignore[arg-type]
    for row in report.get("axis_scores", []):
        found.append((str(row["instrument_id"]), str(row["instrument_version"])))
    return list(dict.fromkeys(found))


def instrument_names(report: Mapping[str, Any]) -> dict[str, str]:
    """The name to show for each instrument version in ``report``, keyed ``"id@version"``.

    Taken from ``meta.instrument_titles`` when the report carries it, otherwise from the
    instrument's own title in the report's language (see :func:`_report_language`), otherwise
    made readable from its id – never the bare id, which means nothing to a reader.
    """
    given = report.get("meta", {}).get("instrument_titles") or {}
    language = _report_language(report)
    installed = {(i.id, i.version): i for i in library().values()}
    names = {}
    for instrument_id, version in _versions(report):
        key = f"{instrument_id}@{version}"
        found = installed.get((instrument_id, version))
        if key in given:
            names[key] = str(given[key])
            continue
        title = text_in(found.title, language)[0] if found else readable_name(instrument_id)
        names[key] = f"{title} {version}"
    return names


def _plain_notes(notes: list[Any], names: Mapping[str, str], report: Mapping[str, Any]
                 ) -> list[str]:
    """Notes with every instrument key and axis id replaced by the name a reader knows."""
    axes = {str(row["axis"]): str(row["axis_label"]) for row in report.get("axis_scores", [])}
    axes |= {str(row["axis"]): str(row.get("axis_label", row["axis"]))
             for row in report.get("change", {}).get("axes", [])}
    plain = []
    for note in notes:
        text = str(note)
        for key, name in sorted(names.items(), key=lambda item: -len(item[0])):
            text = text.replace(key, name)
        axis, colon, rest = text.partition(":")
        if colon and axis in axes:
            text = axes[axis] + colon + rest
        plain.append(text)
    return plain


# --------------------------------------------------------------------------------------------
# change over time


def _axis_labels(change: Mapping[str, Any]) -> dict[str, str]:
    return {str(r["axis"]): str(r.get("axis_label", r["axis"])) for r in change.get("axes", [])}


def _trajectory_numbers(change: Mapping[str, Any]) -> dict[str, Any] | None:
    """The cohort trajectory as a table: a row per day, a column per axis, "mean (n)"."""
    points = change.get("trajectory") or []
    if not points:
        return None
    labels = _axis_labels(change)
    axes = list(dict.fromkeys(str(p["axis"]) for p in points))
    days = sorted({p["days"] for p in points if p.get("days") is not None})
    cells = {(str(p["axis"]), p["days"]): p for p in points}
    rows = []
    for day in days:
        row = []
        for axis in axes:
            point = cells.get((axis, day))
            if point is None:
                row.append("")
            elif point.get("mean") is None:
                row.append("\u2013")
            else:
                row.append(f"{_number(point['mean'])} (n = {_number(point.get('n'))})")
        rows.append({"days": _number(day, 0), "cells": row})
    return {"axes": [labels.get(a, a) for a in axes], "rows": rows}


def _share_at(timeline: list[float], survival: list[float], day: float) -> float:
    """Share reliably improved by ``day`` on a Kaplan–Meier step curve (0 before the first
    step)."""
    survived = 1.0
    for t, s in zip(timeline, survival, strict=True):
        if t > day:
            break
        survived = s
    return 1.0 - survived


def _improvement_numbers(change: Mapping[str, Any]) -> dict[str, Any] | None:
    """The improvement curves as a table: a row per day on which any curve steps."""
    curves = {a: c for a, c in (change.get("curves") or {}).items() if c.get("timeline")}
    if not curves:
        return None
    labels = _axis_labels(change)
    days = sorted({float(t) for c in curves.values() for t in c["timeline"]})
    rows = [
        {
            "days": _number(day, 0),
            "cells": [
                _share(_share_at([float(t) for t in c["timeline"]],
                                 [float(s) for s in c["survival"]], day))
                for c in curves.values()
            ],
        }
        for day in days
    ]
    return {"axes": [labels.get(a, a) for a in curves], "rows": rows}


def _change_charts(change: Mapping[str, Any]) -> dict[str, Markup | None]:
    """The change charts; a chart without data (shared reports have no curves) is None."""
    labels = _axis_labels(change)
    drawn: dict[str, Markup | None] = dict.fromkeys(("change", "trajectory", "improvement"))
    if change.get("axes"):
        drawn["change"] = _chart(
            charts.change_shares_svg(
                change["axes"], "Change since the first assessment, by axis", labels),
            "numbers-change",
        )
    if change.get("trajectory"):
        drawn["trajectory"] = _chart(
            charts.cohort_trajectory_svg(
                change["trajectory"], "Mean score since the first assessment", labels),
            "numbers-trajectory",
        )
    if any(c.get("timeline") for c in (change.get("curves") or {}).values()):
        drawn["improvement"] = _chart(
            charts.improvement_curve_svg(
                change["curves"], "Time to a reliable improvement (Kaplan\u2013Meier)", labels),
            "numbers-improvement",
        )
    return drawn


def render_cohort_html(report: Mapping[str, Any], standalone: bool = True) -> str:
    """Render a report from :func:`build_cohort_report` (or its JSON) as HTML.

    With ``standalone=True`` the result is a complete page with a small inline stylesheet,
    fit to save, e-mail or print to PDF; with ``standalone=False`` it is only the report's
    ``<article>``, to be placed inside the site's own layout. All text from the report is
    HTML-escaped; charts are inline SVG that scale to the screen width, each described by a
    table of its numbers (``aria-describedby``); tables scroll sideways on narrow screens.
    Instrument versions are shown by their titles (:func:`instrument_names`), never by id.
    A report protected for readers outside the organisation shows its (rounded) statistics
    with at most one decimal and its shares as whole percent.
    """
    names = instrument_names(report)
    change = report.get("change") or {}
    context = {
        "report": report,
        "standalone": standalone,
        "names": names,
        "charts": {
            "breakdowns": _breakdown_charts(report["sample"]),
            "axis_scores": _axis_chart(report["axis_scores"], names),
            "heatmap": _heatmap(report["factor_axis_map"]),
            **_change_charts(change),
        },
        "numbers": {
            "trajectory": _trajectory_numbers(change),
            "improvement": _improvement_numbers(change),
        },
        "change_notes": _plain_notes(change.get("notes") or [], names, report),
    }
    disclosure = report.get("meta", {}).get("disclosure") or {}
    env = _ENV if disclosure.get("threshold") is None else _RELEASED_ENV
    return env.get_template("cohort_report.html.j2").render(context)
