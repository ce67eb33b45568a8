"""The cohort report: JSON-able dictionary and its HTML rendering."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from empower.metrics.cohort import axis_summary, factor_axis_map, sample_profile
from empower.reports.cohort import build_cohort_report, json_value, render_cohort_html

AXES = ["healing", "meaning", "inner_peace", "self_capacity"]


def participants() -> pd.DataFrame:
    """76 participants with the pilot's status and destination marginals."""
    n = 76
    return pd.DataFrame(
        {
            "code": [f"P{i:03d}" for i in range(n)],
            "gender": ["female"] * 45 + ["male"] * 31,
            "age": [15, 49] + [26] * 49 + [25] * 25,
            "region": ["north"] * 40 + ["south"] * 35 + [None],
            "exploitation_types": [["labour"]] * 50 + [["labour", "forced_marriage"]] * 26,
            "destination": ["Thailand"] * 28
            + ["China"] * 24
            + ["Myanmar"] * 15
            + ["Singapore"] * 4
            + [None] * 5,
            "status": ["returned"] * 65 + ["just_escaped"] * 6 + ["settled_elsewhere"] * 5,
        }
    )


def scores() -> pd.DataFrame:
    rows = [("A", "four_axis", 2, "inner_peace", s) for s in (20.0, 40.0, 90.0)]
    rows += [("B", "four_axis", 2, "healing", 50.0), ("C", "four_axis", 1, "healing", np.nan)]
    columns = ["participant", "instrument_id", "instrument_version", "axis", "score"]
    return pd.DataFrame(rows, columns=columns)


def effects() -> pd.DataFrame:
    rows = [
        ("A", "family", "healing", 2, False),
        ("B", "family", "healing", 1, False),
        ("C", "family", "inner_peace", None, True),
    ]
    return pd.DataFrame(rows, columns=["participant", "factor", "axis", "effect", "not_applicable"])


LABELS = {
    "axes": {"healing": "Healing, growth and relationships", "inner_peace": "Inner peace"},
    "factors": {"family": "Family acceptance or blame"},
    "categories": {"status": {"returned": "Returned home", "just_escaped": "Just escaped"}},
}
META = {
    "organisation": "Demo organisation",
    "generated_at": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
    "synthetic": True,
}


def report(labels: dict | None = None, meta: dict | None = None, with_map: bool = True) -> dict:
    return build_cohort_report(
        sample_profile(participants()),
        axis_summary(scores(), axis_order=AXES),
        factor_axis_map(effects(), axis_order=AXES) if with_map else None,
        LABELS if labels is None else labels,
        META if meta is None else meta,
    )


def test_report_structure_and_values() -> None:
    data = report()
    assert data["meta"]["organisation"] == "Demo organisation"
    assert data["meta"]["generated_at"] == "2024-05-01T12:00:00+00:00"
    assert data["meta"]["synthetic"] is True
    assert data["meta"]["instruments"] == [
        {"instrument_id": "four_axis", "instrument_version": 1},
        {"instrument_id": "four_axis", "instrument_version": 2},
    ]
    sample = data["sample"]
    assert sample["n"] == 76
    assert sample["age"] == {"n": 76, "minimum": 15, "maximum": 49, "mean": 25.83}
    assert sample["breakdowns"]["status"] == [
        {"category": "returned", "label": "Returned home", "count": 65, "percent": 85.53},
        {"category": "just_escaped", "label": "Just escaped", "count": 6, "percent": 7.89},
        {
            "category": "settled_elsewhere",
            "label": "settled_elsewhere",
            "count": 5,
            "percent": 6.58,
        },
    ]
    assert sample["breakdowns"]["destination"][-1] == {
        "category": None,
        "label": "Not given",
        "count": 5,
        "percent": 6.58,
    }
    assert sample["multi_select"] == ["exploitation_types"]
    peace = data["axis_scores"][-1]
    assert peace["axis"] == "inner_peace" and peace["axis_label"] == "Inner peace"
    assert peace["mean"] == pytest.approx(50.0)
    assert peace["sd"] == pytest.approx(36.0555, abs=1e-4)
    v1 = data["axis_scores"][0]
    assert (v1["instrument_version"], v1["n"], v1["n_missing"]) == (1, 0, 1)
    assert v1["mean"] is None and v1["sd"] is None  # NaN became None
    family = data["factor_axis_map"][0]
    assert family["factor_label"] == "Family acceptance or blame"
    assert (family["n"], family["mean_effect"], family["share_empowering"]) == (2, 1.5, 1.0)
    assert data["factor_axis_map"][2]["axis"] == "inner_peace"
    assert data["factor_axis_map"][2]["n_not_applicable"] == 1


def test_report_is_strict_json_and_round_trips() -> None:
    data = report()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert render_cohort_html(json.loads(text)) == render_cohort_html(data)


def test_json_value_converts_numpy_and_nan() -> None:
    value = {"a": np.int64(3), "b": np.float64("nan"), "c": [np.bool_(True), pd.NA, 1.5]}
    assert json_value(value) == {"a": 3, "b": None, "c": [True, None, 1.5]}


def test_missing_labels_fall_back_to_ids() -> None:
    data = report(labels={})
    assert data["axis_scores"][-1]["axis_label"] == "inner_peace"
    assert data["factor_axis_map"][0]["factor_label"] == "family"
    assert data["sample"]["breakdowns"]["status"][0]["label"] == "returned"
    assert data["sample"]["breakdowns"]["destination"][-1]["label"] == "Not given"


def test_html_shows_sample_scores_and_factor_map() -> None:
    html = render_cohort_html(report())
    assert html.startswith("<!DOCTYPE html>")
    assert "Demo organisation" in html
    assert "generated 2024-05-01 12:00 UTC" in html
    assert "Synthetic demo data" in html
    assert "Thailand" in html and ">28<" in html
    for percent in ("85.53\u00a0%", "7.89\u00a0%", "6.58\u00a0%", "36.84\u00a0%"):
        assert percent in html
    assert "Returned home" in html and "Not given" in html
    assert "25.83" in html  # mean age
    assert "36.1" in html  # SD of 20, 40, 90 with one decimal
    assert "1.50" in html and ">1.5<" in html  # mean effect in the table and the heat map
    assert "100.0\u00a0%" in html  # share empowering
    assert html.count("<svg") == 5 + 2  # five breakdowns, axis scores, heat map
    assert 'style="overflow-x:auto' in html  # tables scroll sideways on phones


def test_banner_only_for_synthetic_data() -> None:
    html = render_cohort_html(report(meta={**META, "synthetic": False}))
    assert "Synthetic demo data" not in html


def test_fragment_for_embedding() -> None:
    html = render_cohort_html(report(), standalone=False)
    assert html.lstrip().startswith("<article")
    assert "<html" not in html and "<style>" not in html
    assert "Synthetic demo data" in html and "Thailand" in html


def test_labels_are_html_escaped() -> None:
    evil = "<script>alert(1)</script>"
    labels = {
        "axes": {"inner_peace": evil},
        "factors": {"family": '<img src=x onerror="alert(1)">'},
        "categories": {"destination": {"Thailand": evil}},
    }
    html = render_cohort_html(report(labels=labels, meta={**META, "organisation": evil}))
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_without_factor_map() -> None:
    data = report(with_map=False)
    assert data["factor_axis_map"] == []
    html = render_cohort_html(data)
    assert "No factor effects recorded." in html
    assert html.count("<svg") == 5 + 1


def test_suppressed_counts_render_as_dashes() -> None:
    data = json.loads(json.dumps(report()))
    data["sample"]["breakdowns"]["status"][2].update(count=None, percent=None)
    data["factor_axis_map"][0].update(n=None, mean_effect=None)
    html = render_cohort_html(data)
    assert 'settled_elsewhere</th><td class="num">\u2013</td>' in html


def test_pure_packages_do_not_import_django() -> None:
    code = (
        "import sys, empower.metrics.cohort, empower.reports.cohort, empower.reports.charts;"
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
