"""SVG charts: valid XML, text kept as text, deterministic, robust to missing data."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from empower.reports.charts import axis_scores_svg, bar_chart_svg, heatmap_svg, trajectory_svg

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    """All text content of the chart, as a screen reader or a search would see it."""
    root = ET.fromstring(svg)
    return [t.strip() for t in root.itertext() if t.strip()]


def check_inline_svg(svg: str, title: str) -> ET.Element:
    assert svg.startswith("<svg")  # no XML prolog or doctype: can be inlined in HTML
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert root.find(f"{SVG}title").text == title
    assert root.get("width") is None and root.get("height") is None
    assert "width:100%" in root.get("style") and "height:auto" in root.get("style")
    assert root.get("viewBox")
    assert "<metadata>" not in svg and "Date" not in svg
    return root


def matrix() -> pd.DataFrame:
    return pd.DataFrame(
        {"healing": [1.5, -2.0], "inner_peace": [np.nan, -0.04]}, index=["family", "legal"]
    )


def points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": [dt.date(2023, 1, 5), dt.date(2023, 9, 1), dt.date(2023, 1, 5)],
            "axis": ["healing", "healing", "inner_peace"],
            "score": [20.0, 70.0, 35.0],
            "instrument": ["four_axis v1", "four_axis v2", "four_axis v1"],
        }
    )


def summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "instrument_id": ["four_axis"] * 3,
            "instrument_version": [1, 2, 2],
            "axis": ["healing", "healing", "inner_peace"],
            "n": [46, 30, 29],
            "mean": [40.25, 62.5, np.nan],
            "sd": [12.0, np.nan, np.nan],
        }
    )


def test_bar_chart_labels_and_counts_are_text() -> None:
    svg = bar_chart_svg([("Thailand", 28), ("China", 24), ("Not given", 5)], "Destination")
    check_inline_svg(svg, "Destination")
    words = texts(svg)
    for expected in ("Thailand", "China", "Not given", "28", "24", "5", "Destination"):
        assert expected in words


def test_heatmap_shows_means_counts_and_missing_cells() -> None:
    counts = pd.DataFrame({"healing": [4, 2], "inner_peace": [0, 7]}, index=["family", "legal"])
    svg = heatmap_svg(
        matrix(), "Effects", row_labels={"family": "Family acceptance"}, annotations=counts
    )
    check_inline_svg(svg, "Effects")
    words = texts(svg)
    assert "1.5" in words  # mean 1.5 written with one decimal
    assert "\u22122.0" in words  # true minus sign
    assert "0.0" in words  # −0.04 rounds to 0.0, not "−0.0"
    assert "\u2013" in words  # the NaN cell
    assert {"n=4", "n=2", "n=0", "n=7"} <= set(words)
    assert "Family acceptance" in words and "legal" in words  # label, or id as fallback
    assert "inner_peace" in words


def test_heatmap_without_annotations_has_no_counts() -> None:
    words = texts(heatmap_svg(matrix(), "Effects"))
    assert "1.5" in words
    assert not any(w.startswith("n=") for w in words)


def test_trajectory_marks_instruments_and_axes() -> None:
    svg = trajectory_svg(points(), "Over time", axis_labels={"healing": "Healing"})
    check_inline_svg(svg, "Over time")
    words = texts(svg)
    assert {"Healing", "inner_peace", "four_axis v1", "four_axis v2"} <= set(words)
    assert "100" in words and "0" in words  # y axis spans 0–100


def test_trajectory_with_a_single_point() -> None:
    svg = trajectory_svg(points().iloc[:1], "One visit")
    check_inline_svg(svg, "One visit")
    assert "four_axis v1" in texts(svg)


def test_trajectory_without_scores() -> None:
    svg = trajectory_svg(points().assign(score=np.nan), "Nothing yet")
    assert "No scores yet" in texts(svg)


def test_axis_scores_bars_values_and_n() -> None:
    svg = axis_scores_svg(summary(), "Axis scores", axis_labels={"healing": "Healing"})
    check_inline_svg(svg, "Axis scores")
    words = texts(svg)
    assert {"40.2", "62.5", "Healing", "inner_peace"} <= set(words)
    assert "four_axis v1 (n = 46)" in words
    assert "four_axis v2 (n = 29\u201330)" in words


def test_charts_are_deterministic() -> None:
    assert bar_chart_svg([("a", 1)], "t") == bar_chart_svg([("a", 1)], "t")
    assert heatmap_svg(matrix(), "t") == heatmap_svg(matrix(), "t")
    assert trajectory_svg(points(), "t") == trajectory_svg(points(), "t")
    assert axis_scores_svg(summary(), "t") == axis_scores_svg(summary(), "t")


def test_charts_are_deterministic_across_processes() -> None:
    code = (
        "from empower.reports.charts import bar_chart_svg;"
        "import sys; sys.stdout.write(bar_chart_svg([('a', 1)], 't'))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == bar_chart_svg([("a", 1)], "t")


def test_two_charts_on_one_page_do_not_share_ids() -> None:
    first = bar_chart_svg([("a", 1)], "first")
    second = bar_chart_svg([("b", 2)], "second")

    def ids(svg: str) -> set[str]:
        return set(re.findall(r'\bid="([^"]+)"', svg))

    assert ids(first) and not ids(first) & ids(second)
    for svg in (first, second):  # every internal reference points at an id of the same chart
        refs = set(re.findall(r'(?:url\(#|href="#)([^")]+)', svg))
        assert refs <= ids(svg)


def test_user_text_is_escaped_and_not_parsed_as_math() -> None:
    svg = bar_chart_svg([("<script>alert(1)</script>", 3), ("$5 $wage", 2)], "A & <b>")
    assert "<script>" not in svg
    words = texts(svg)
    assert "<script>alert(1)</script>" in words
    assert "$5 $wage" in words
    assert ET.fromstring(svg).get("aria-label") == "A & <b>"


def test_empty_inputs_draw_a_no_data_chart() -> None:
    assert "No data" in texts(bar_chart_svg([], "Empty"))
    assert "No data" in texts(heatmap_svg(pd.DataFrame(), "Empty"))
    assert "No data" in texts(axis_scores_svg(summary().iloc[0:0], "Empty"))


@pytest.mark.filterwarnings("error")
def test_charts_can_be_drawn_from_several_threads() -> None:
    results: list[str] = []

    def draw() -> None:
        results.append(heatmap_svg(matrix(), "t"))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
