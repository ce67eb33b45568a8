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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from empower.metrics.cohort import (
    AXIS_SUMMARY_COLUMNS,
    BREAKDOWN_KEYS,
    FACTOR_MAP_COLUMNS,
    SampleProfile,
)
from empower.reports import charts

#: How the category ``None`` (no answer recorded) is shown.
NOT_GIVEN = "Not given"
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


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=_number, percent=_percent, share=_share, when=_when)
    return env


_ENV = _environment()


def _breakdown_charts(sample: Mapping[str, Any]) -> dict[str, Markup]:
    return {
        key: Markup(
            charts.bar_chart_svg(
                [(row["label"], row["count"]) for row in rows if row["count"] is not None],
                sample["breakdown_titles"][key],
                "participants",
            )
        )
        for key, rows in sample["breakdowns"].items()
        if rows
    }


def _axis_chart(rows: list[Mapping[str, Any]]) -> Markup | None:
    if not rows:
        return None
    table = pd.DataFrame(rows).astype({"mean": float, "sd": float})
    labels = {str(row["axis"]): str(row["axis_label"]) for row in rows}
    return Markup(charts.axis_scores_svg(table, "Mean axis score by instrument version", labels))


def _heatmap(rows: list[Mapping[str, Any]]) -> Markup | None:
    if not rows:
        return None
    table = pd.DataFrame(rows)
    factors = list(dict.fromkeys(table["factor"]))
    axes = list(dict.fromkeys(table["axis"]))
    means = table.pivot(index="factor", columns="axis", values="mean_effect")
    counts = table.pivot(index="factor", columns="axis", values="n")
    return Markup(
        charts.heatmap_svg(
            means.reindex(index=factors, columns=axes).astype(float),
            "Mean effect of each factor on each axis",
            row_labels={str(r["factor"]): str(r["factor_label"]) for r in rows},
            col_labels={str(r["axis"]): str(r["axis_label"]) for r in rows},
            annotations=counts.reindex(index=factors, columns=axes),
        )
    )


def render_cohort_html(report: Mapping[str, Any], standalone: bool = True) -> str:
    """Render a report from :func:`build_cohort_report` (or its JSON) as HTML.

    With ``standalone=True`` the result is a complete page with a small inline stylesheet,
    fit to save, e-mail or print to PDF; with ``standalone=False`` it is only the report's
    ``<article>``, to be placed inside the site's own layout. All text from the report is
    HTML-escaped; charts are inline SVG that scale to the screen width, tables scroll
    sideways on narrow screens.
    """
    context = {
        "report": report,
        "standalone": standalone,
        "charts": {
            "breakdowns": _breakdown_charts(report["sample"]),
            "axis_scores": _axis_chart(report["axis_scores"]),
            "heatmap": _heatmap(report["factor_axis_map"]),
            "change": charts.change_shares_svg(
                report["change"]["axes"], "Change since the first assessment, by axis",
                {str(r["axis"]): str(r.get("axis_label", r["axis"]))
                 for r in report["change"]["axes"]},
            ) if report.get("change", {}).get("axes") else "",
            "trajectory": charts.cohort_trajectory_svg(
                report["change"]["trajectory"], "Mean score since the first assessment",
                {str(r["axis"]): str(r.get("axis_label", r["axis"]))
                 for r in report["change"]["axes"]},
            ) if report.get("change", {}).get("trajectory") else "",
            "improvement": charts.improvement_curve_svg(
                report["change"]["curves"], "Time to a reliable improvement (Kaplan–Meier)",
                {str(r["axis"]): str(r.get("axis_label", r["axis"]))
                 for r in report["change"]["axes"]},
            ) if report.get("change", {}).get("curves") else "",
        },
    }
    return _ENV.get_template("cohort_report.html.j2").render(context)
