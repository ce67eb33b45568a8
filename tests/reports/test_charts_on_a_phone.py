"""Charts on a 360 px phone: legible text, dates that do not collide, nothing cut off.

A chart is shown ``width:100%`` and never wider than its natural size, so on a phone (328 CSS
px of content at 360 px) it is drawn at min(328, natural width) pixels. Its SVG user units are
points, and a CSS pixel is 3/4 of a point, so a text of ``f`` user units shows at
``f · min(328, W · 4/3) / W`` CSS pixels for a chart ``W`` units wide.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from empower.reports.charts import (
    axis_scores_svg,
    bar_chart_svg,
    change_shares_svg,
    cohort_trajectory_svg,
    heatmap_svg,
    improvement_curve_svg,
    trajectory_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
PHONE = 328  # CSS px of content on a 360 px screen
SMALLEST_LEGIBLE = 11  # CSS px
_MEASURE = TextToPath()

AXES = {
    "healing": "Healing, growth and relationships",
    "purpose": "Meaning and purpose",
    "inner_peace": "Inner peace",
    "self_capacity": "Self-capacity",
}
FACTORS = {
    "family": "Family acceptance or blame",
    "community": "Community acceptance, gossip and shaming",
    "rescue": "Rescue",
    "justice": "Justice processes",
    "trauma": "Trauma and mental health",
    "psychosocial": "Psychosocial support",
    "work": "Work, skills and finances",
    "ngos": "Services from NGOs and civil society groups",
    "officials": "Government officials and police",
}


def _width(root: ET.Element) -> float:
    return float(root.get("viewBox").split()[2])


def _texts(svg: str) -> list[dict]:
    """Every text element: its string, font size, anchor point, alignment and rotation."""
    found = []
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        style = element.get("style", "")
        size = float(re.search(r"font-size: ([\d.]+)px", style).group(1))
        anchor = re.search(r"text-anchor: (\w+)", style)
        transform = element.get("transform", "")
        if element.get("x") is not None:
            x = float(element.get("x"))
        else:
            x = float(re.search(r"translate\(([-\d.]+)", transform).group(1))
        rotation = re.search(r"rotate\(([-\d.]+)", transform)
        found.append({
            "text": "".join(element.itertext()),
            "size": size,
            "weight": "bold" if "font-weight: 700" in style else "normal",
            "x": x,
            "anchor": anchor.group(1) if anchor else "start",
            "rotated": bool(rotation) and float(rotation.group(1)) != 0,
        })
    return found


def _span(text: dict) -> tuple[float, float]:
    """Left and right ends of a horizontal text, measured in the chart's first font (DejaVu
    Sans) with 3 % to spare."""
    prop = FontProperties(family="DejaVu Sans", size=text["size"], weight=text["weight"])
    width = 1.03 * _MEASURE.get_text_width_height_descent(text["text"], prop, ismath=False)[0]
    left = {"start": text["x"], "middle": text["x"] - width / 2, "end": text["x"] - width}
    return left[text["anchor"]], left[text["anchor"]] + width


def _charts() -> dict[str, str]:
    dates = [dt.date(2025, 1, 10), dt.date(2025, 9, 1), dt.date(2026, 5, 1),
             dt.date(2027, 1, 5)]
    points = pd.DataFrame({
        "date": dates * 4,
        "axis": [a for a in AXES for _ in dates],
        "score": [0.0, 40.0, 70.0, 100.0] * 4,
        "instrument": ["Empowerment scales 1.0"] * 16,
    })
    summary = pd.DataFrame({
        "instrument_id": ["empowerment-interview"] * 4 + ["empowerment-scales"] * 4,
        "instrument_version": ["2.0"] * 4 + ["1.0"] * 4,
        "axis": list(AXES) * 2,
        "n": [41] * 4 + [45] * 4,
        "mean": [61.0, 58.5, 67.5, 65.3, 64.0, 59.6, 63.3, 60.7],
        "sd": [25.0] * 8,
    })
    matrix = pd.DataFrame(
        np.linspace(-1.2, 1.2, len(FACTORS) * 4).reshape(len(FACTORS), 4),
        index=list(FACTORS), columns=list(AXES),
    )
    counts = pd.DataFrame(38, index=list(FACTORS), columns=list(AXES))
    change = [{"axis": a, "reliably_improved_share": 0.26, "no_reliable_change_share": 0.72,
               "reliably_deteriorated_share": 0.02} for a in AXES]
    curves = {a: {"timeline": [60.0, 120.0, 300.0, 520.0], "survival": [0.9, 0.7, 0.5, 0.0]}
              for a in AXES}
    trajectory = [{"axis": a, "days": d, "n": 40, "mean": 50.0 + d / 30}
                  for a in AXES for d in (0, 90, 180, 270, 360, 450)]
    return {
        "bars": bar_chart_svg(
            [("Returned home", 65), ("Just escaped", 6),
             ("Settled in a new job or place abroad", 5)], "Status at interview",
            "participants"),
        "heatmap": heatmap_svg(matrix, "Mean effect of each factor on each axis", FACTORS, AXES,
                               annotations=counts),
        "axis scores": axis_scores_svg(
            summary, "Mean axis score by question set", AXES,
            {"empowerment-interview@2.0": "Empowerment interview 2.0",
             "empowerment-scales@1.0": "Empowerment scales 1.0"}),
        "trajectory": trajectory_svg(points, "Axis scores over time (0–100)", AXES),
        "change": change_shares_svg(change, "Change since the first assessment, by axis", AXES),
        "curves": improvement_curve_svg(
            curves, "Time to a reliable improvement (Kaplan–Meier)", AXES),
        "cohort trajectory": cohort_trajectory_svg(
            trajectory, "Mean score since the first assessment", AXES),
    }


CHARTS = _charts()


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_text_is_legible_on_a_phone(name: str) -> None:
    svg = CHARTS[name]
    root = ET.fromstring(svg)
    width = _width(root)
    scale = min(PHONE, width * 4 / 3) / width
    shown = {t["text"]: round(t["size"] * scale, 1) for t in _texts(svg)}
    too_small = {text: px for text, px in shown.items() if px < SMALLEST_LEGIBLE}
    assert too_small == {}, f"{name}: text under {SMALLEST_LEGIBLE} px on a phone"
    # Hand-worked bound: the smallest text is 10 pt, legible down to a chart 10·328/11 =
    # 298 pt wide; every chart is drawn 4 in (288 pt) wide plus a thin margin.
    assert min(t["size"] for t in _texts(svg)) >= 10
    assert width <= 298


@pytest.mark.parametrize("name", list(CHARTS))
def test_no_text_runs_past_the_edges(name: str) -> None:
    svg = CHARTS[name]
    width = _width(ET.fromstring(svg))
    outside = [
        t["text"] for t in _texts(svg)
        if not t["rotated"] and not (-1 <= _span(t)[0] and _span(t)[1] <= width + 1)
    ]
    assert outside == []


def _date_labels(svg: str) -> list[dict]:
    root = ET.fromstring(svg)
    labels = []
    for group in root.iter(f"{SVG}g"):
        if re.search(r"-xtick_\d+$", group.get("id", "")):
            labels += [t for t in _texts(ET.tostring(group, encoding="unicode"))]
    return labels


@pytest.mark.parametrize(
    ("first", "last", "most"),
    [
        (dt.date(2025, 1, 10), dt.date(2027, 1, 5), 4),  # two years
        (dt.date(2025, 11, 3), dt.date(2026, 3, 20), 4),  # across a new year ("Nov 2026 Mar")
        (dt.date(2024, 2, 1), dt.date(2029, 8, 1), 4),  # five years and a half
    ],
)
def test_date_labels_are_few_and_never_collide(first, last, most) -> None:
    points = pd.DataFrame({"date": [first, last], "axis": ["healing"] * 2,
                           "score": [20.0, 80.0], "instrument": ["Empowerment scales 1.0"] * 2})
    labels = sorted(_date_labels(trajectory_svg(points, "Over time")), key=lambda t: t["x"])
    assert 2 <= len(labels) <= most
    assert all(len(label["text"]) <= 4 for label in labels)  # "2026", "Jul": short forms
    for left, right in itertools.pairwise(labels):
        assert _span(left)[1] + 4 <= _span(right)[0], (left["text"], right["text"])


def test_two_year_span_is_labelled_by_year() -> None:
    points = pd.DataFrame({"date": [dt.date(2025, 1, 10), dt.date(2027, 1, 5)],
                           "axis": ["healing"] * 2, "score": [20.0, 80.0],
                           "instrument": ["v1"] * 2})
    texts = [t["text"] for t in _date_labels(trajectory_svg(points, "Over time"))]
    assert texts == ["2025", "2026", "2027"]


def _clip_box(root: ET.Element) -> tuple[float, float, float, float]:
    rect = next(root.iter(f"{SVG}clipPath")).find(f"{SVG}rect")
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def test_points_at_0_and_100_and_at_the_last_date_are_drawn_whole() -> None:
    root = ET.fromstring(CHARTS["trajectory"])
    left, top, right, bottom = _clip_box(root)
    markers = [
        (float(u.get("x")), float(u.get("y"))) for u in root.iter(f"{SVG}use")
        if "fill: #4477aa" in u.get("style", "")
    ]
    assert len(markers) == 4  # healing: scores 0, 40, 70 and 100
    radius = 3.5  # markersize 7 pt
    for x, y in markers:
        assert left + radius <= x <= right - radius
        assert top + radius <= y <= bottom - radius


def test_effect_scale_writes_its_signs() -> None:
    words = [t["text"] for t in _texts(CHARTS["heatmap"])]
    assert ["\u22122", "\u22121", "0", "+1", "+2"] == [w for w in words if w in
                                                      {"\u22122", "\u22121", "0", "+1", "+2"}]
    assert "\u22122 strongly disempowering" in words
    assert "to +2 strongly empowering" in words


def test_axis_scores_legend_names_question_sets() -> None:
    words = [t["text"] for t in _texts(CHARTS["axis scores"])]
    assert "Empowerment interview 2.0 (n = 41)" in words
    assert "Empowerment scales 1.0 (n = 45)" in words
    assert not any("@" in w or "empowerment-" in w for w in words)


@pytest.mark.parametrize(
    "labels",
    [
        {"family": "পরিবারের গ্রহণ বা দোষারোপ", "legal": "বিচার প্রক্রিয়া"},
        {"family": "နာလန်ထူခြင်း၊ ရင့်ကျက်လာခြင်းနှင့် ဆက်ဆံရေး", "legal": "ဥပဒေ"},
        # Far too long for any layout: the chart grows instead of failing.
        {"family": "an extraordinarily long factor name " * 6, "legal": "x" * 120},
    ],
)
def test_heatmap_with_other_scripts_or_overlong_labels_is_drawn(labels: dict) -> None:
    matrix = pd.DataFrame({"healing": [1.5, -2.0], "inner_peace": [0.5, -0.04]},
                          index=["family", "legal"])
    axes = {"healing": "আরোগ্য, বিকাশ ও সম্পর্ক", "inner_peace": "অন্তরের শান্তি"}
    svg = heatmap_svg(matrix, "Effects", labels, axes)
    words = [t["text"] for t in _texts(svg)]
    assert "1.5" in words and "\u22122.0" in words
