"""Cohort summaries checked against the pilot's published sample and hand-computed cases."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from empower.metrics.cohort import (
    AgeSummary,
    CategoryCount,
    axis_summary,
    factor_axis_map,
    percent_of,
    round_half_up,
    sample_profile,
)


def pilot_sample() -> pd.DataFrame:
    """76 rows with the marginals the pilot reported (BRIEF §1, "sample at a glance")."""
    n = 76
    ages = [15, 49] + [26] * 49 + [25] * 25  # sum 1963, mean 25.828…
    regions = [f"region_{i:02d}" for i in range(10) for _ in range(7)] + ["region_00"] * 5
    regions += [None]  # 10 regions, 1 unspecified
    types = [["labour"]] * 40 + [["forced_marriage"]] * 10 + [["labour", "sex"]] * 6
    types += [["exploited_worker"]] * 10 + [["cheated_job_seeker"]] * 8 + [[]] * 2
    return pd.DataFrame(
        {
            "code": [f"P{i:03d}" for i in range(n)],
            "gender": ["female"] * 45 + ["male"] * 31,
            "age": ages,
            "region": regions,
            "exploitation_types": types,
            "destination": ["Thailand"] * 28
            + ["China"] * 24
            + ["Myanmar"] * 15
            + ["Singapore"] * 4
            + [None] * 5,
            "status": ["returned"] * 65 + ["just_escaped"] * 6 + ["settled_elsewhere"] * 5,
        }
    )


def as_tuples(rows: list[CategoryCount]) -> list[tuple[str | None, int, float]]:
    return [(r.category, r.count, r.percent) for r in rows]


# --- rounding ---------------------------------------------------------------------------------


def test_round_half_up_on_exact_value() -> None:
    assert round_half_up(Fraction(3125, 1000)) == 3.13  # round(3.125, 2) would give 3.12
    assert round_half_up(Fraction(2675, 1000)) == 2.68  # round(2.675, 2) gives 2.67
    assert round_half_up(Fraction(-3125, 1000)) == -3.13
    assert round_half_up(Fraction(1, 3)) == 0.33
    assert percent_of(1, 32) == 3.13
    assert percent_of(0, 0) == 0.0


# --- sample_profile ---------------------------------------------------------------------------


def test_pilot_sample_status_percentages_match_hand_computation() -> None:
    profile = sample_profile(pilot_sample())
    assert profile.n == 76
    # 65/76 = 85.526…, 6/76 = 7.894…, 5/76 = 6.578…
    assert as_tuples(profile.breakdowns["status"]) == [
        ("returned", 65, 85.53),
        ("just_escaped", 6, 7.89),
        ("settled_elsewhere", 5, 6.58),
    ]


def test_pilot_sample_gender_destination_and_age() -> None:
    profile = sample_profile(pilot_sample())
    # 45/76 = 59.210…, 31/76 = 40.789…
    assert as_tuples(profile.breakdowns["gender"]) == [("female", 45, 59.21), ("male", 31, 40.79)]
    # 28/76 = 36.842…, 24/76 = 31.578…, 15/76 = 19.736…, 4/76 = 5.263…, 5/76 = 6.578…
    assert as_tuples(profile.breakdowns["destination"]) == [
        ("Thailand", 28, 36.84),
        ("China", 24, 31.58),
        ("Myanmar", 15, 19.74),
        ("Singapore", 4, 5.26),
        (None, 5, 6.58),  # "not given" is listed last even though it outnumbers Singapore
    ]
    assert profile.age == AgeSummary(n=76, minimum=15, maximum=49, mean=25.83)  # 1963/76


def test_pilot_sample_regions_and_multiselect_types() -> None:
    profile = sample_profile(pilot_sample())
    regions = profile.breakdowns["region"]
    assert len([r for r in regions if r.category is not None]) == 10
    assert regions[0] == CategoryCount("region_00", 12, 15.79)  # 12/76 = 15.789…
    assert regions[-1] == CategoryCount(None, 1, 1.32)  # 1/76 = 1.315…
    types = {r.category: (r.count, r.percent) for r in profile.breakdowns["exploitation_types"]}
    assert types["labour"] == (46, 60.53)  # 46/76 = 60.526…
    assert types["sex"] == (6, 7.89)
    assert types[None] == (2, 2.63)  # participants who reported no type
    assert sum(c for c, _ in types.values()) == 82  # multi-select: more than 76
    assert next(iter(types)) == "labour"


def test_tiny_hand_case() -> None:
    frame = pd.DataFrame(
        {
            "code": ["A", "B", "C", "D"],
            "gender": ["male", "female", "", np.nan],
            "age": [18, None, 21, np.nan],
            "region": ["b", "a", "b", "a"],
            "exploitation_types": [["x", "y"], ["x", "x"], [], None],
            "destination": [None, None, None, None],
            "status": ["s", "s", "s", "t"],
        }
    )
    profile = sample_profile(frame)
    assert profile.n == 4
    # ties sort by name; blank string and NaN both count as "not given"
    assert as_tuples(profile.breakdowns["gender"]) == [
        ("female", 1, 25.0),
        ("male", 1, 25.0),
        (None, 2, 50.0),
    ]
    assert as_tuples(profile.breakdowns["region"]) == [("a", 2, 50.0), ("b", 2, 50.0)]
    assert as_tuples(profile.breakdowns["status"]) == [("s", 3, 75.0), ("t", 1, 25.0)]
    assert as_tuples(profile.breakdowns["destination"]) == [(None, 4, 100.0)]
    # "x" listed twice by B still counts B once
    assert as_tuples(profile.breakdowns["exploitation_types"]) == [
        ("x", 2, 50.0),
        ("y", 1, 25.0),
        (None, 2, 50.0),
    ]
    assert profile.age == AgeSummary(n=2, minimum=18, maximum=21, mean=19.5)
    assert list(profile.breakdowns) == [
        "gender",
        "status",
        "destination",
        "exploitation_types",
        "region",
    ]


def test_no_known_ages_and_empty_sample() -> None:
    frame = pilot_sample().iloc[0:0]
    profile = sample_profile(frame)
    assert profile.n == 0
    assert profile.age is None
    assert all(rows == [] for rows in profile.breakdowns.values())


def test_sample_profile_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"missing column.*status"):
        sample_profile(pilot_sample().drop(columns="status"))
    frame = pilot_sample().astype({"age": float})
    frame.loc[0, "age"] = 20.5
    with pytest.raises(ValueError, match="whole number"):
        sample_profile(frame)


# --- axis_summary ---------------------------------------------------------------------------


def scores_frame() -> pd.DataFrame:
    rows = [
        ("A", "four_axis", 2, "inner_peace", 20.0),
        ("B", "four_axis", 2, "inner_peace", 40.0),
        ("C", "four_axis", 2, "inner_peace", 90.0),
        ("A", "four_axis", 2, "healing", 50.0),
        ("B", "four_axis", 2, "healing", np.nan),
        ("C", "four_axis", 2, "healing", None),
        ("D", "four_axis", 1, "healing", 10.0),
        ("E", "four_axis", 1, "healing", 30.0),
        ("D", "four_axis", 1, "inner_peace", np.nan),
    ]
    columns = ["participant", "instrument_id", "instrument_version", "axis", "score"]
    return pd.DataFrame(rows, columns=columns)


def test_axis_summary_hand_computed() -> None:
    table = axis_summary(scores_frame(), axis_order=["healing", "inner_peace"])
    assert list(table.columns) == [
        "instrument_id",
        "instrument_version",
        "axis",
        "n",
        "n_missing",
        "mean",
        "sd",
        "median",
        "minimum",
        "maximum",
    ]
    keys = list(zip(table["instrument_version"], table["axis"], strict=True))
    assert keys == [(1, "healing"), (1, "inner_peace"), (2, "healing"), (2, "inner_peace")]
    peace = table.iloc[3]
    assert (peace["n"], peace["n_missing"]) == (3, 0)
    assert peace["mean"] == pytest.approx(50.0)
    # sqrt(((−30)² + (−10)² + 40²) / 2) = sqrt(1300) = 36.0555…
    assert peace["sd"] == pytest.approx(math.sqrt(1300))
    assert peace["sd"] == pytest.approx(36.0555, abs=1e-4)
    assert (peace["median"], peace["minimum"], peace["maximum"]) == (40.0, 20.0, 90.0)
    v1 = table.iloc[0]  # 10 and 30: mean 20, sd sqrt((100 + 100) / 1) = 14.142…
    assert v1["mean"] == pytest.approx(20.0)
    assert v1["sd"] == pytest.approx(math.sqrt(200))
    one = table.iloc[2]  # a single score has no SD
    assert (one["n"], one["n_missing"], one["mean"]) == (1, 2, 50.0)
    assert math.isnan(one["sd"])
    empty = table.iloc[1]
    assert (empty["n"], empty["n_missing"]) == (0, 1)
    assert math.isnan(empty["mean"]) and math.isnan(empty["median"])


def test_axis_summary_order_defaults_to_first_appearance() -> None:
    table = axis_summary(scores_frame())
    assert list(table[table["instrument_version"] == 2]["axis"]) == ["inner_peace", "healing"]
    partial = axis_summary(scores_frame(), axis_order=["healing"])
    assert list(partial[partial["instrument_version"] == 2]["axis"]) == ["healing", "inner_peace"]


def test_axis_summary_rejects_out_of_range_scores() -> None:
    frame = scores_frame()
    frame.loc[0, "score"] = 101.0
    with pytest.raises(ValueError, match="between 0 and 100"):
        axis_summary(frame)
    with pytest.raises(ValueError, match="needs a axis"):
        axis_summary(scores_frame().assign(axis=None))


# --- factor_axis_map ---------------------------------------------------------------------------


def effects_frame() -> pd.DataFrame:
    rows = [
        ("A", "family", "healing", 2, False),
        ("B", "family", "healing", 1, False),
        ("C", "family", "healing", -2, False),
        ("D", "family", "healing", 0, False),
        ("E", "family", "healing", None, True),
        ("F", "family", "healing", np.nan, False),  # not answered
        ("A", "family", "inner_peace", -1, False),
        ("B", "family", "inner_peace", -1, False),
        ("A", "legal", "healing", None, True),
    ]
    return pd.DataFrame(rows, columns=["participant", "factor", "axis", "effect", "not_applicable"])


def test_factor_axis_map_hand_computed() -> None:
    table = factor_axis_map(
        effects_frame(),
        factor_order=["family", "legal", "rescue"],
        axis_order=["healing", "inner_peace"],
    )
    cells = list(zip(table["factor"], table["axis"], strict=True))
    assert cells == [
        ("family", "healing"),
        ("family", "inner_peace"),
        ("legal", "healing"),
        ("legal", "inner_peace"),
        ("rescue", "healing"),
        ("rescue", "inner_peace"),
    ]
    family = table.iloc[0]
    # effects 2, 1, −2, 0 → mean 1/4; 2 of 4 empowering, 1 of 4 disempowering, 1 of 4 none
    assert (family["n"], family["n_not_applicable"], family["n_unanswered"]) == (4, 1, 1)
    assert family["mean_effect"] == pytest.approx(0.25)
    assert family["share_empowering"] == pytest.approx(0.5)
    assert family["share_disempowering"] == pytest.approx(0.25)
    assert family["share_no_effect"] == pytest.approx(0.25)
    peace = table.iloc[1]
    assert peace["mean_effect"] == pytest.approx(-1.0)
    assert peace["share_disempowering"] == pytest.approx(1.0)
    legal = table.iloc[2]
    assert (legal["n"], legal["n_not_applicable"]) == (0, 1)
    assert math.isnan(legal["mean_effect"]) and math.isnan(legal["share_empowering"])
    rescue = table.iloc[5]
    assert (rescue["n"], rescue["n_not_applicable"], rescue["n_unanswered"]) == (0, 0, 0)


def test_factor_axis_map_fills_the_grid_without_orders() -> None:
    table = factor_axis_map(effects_frame())
    assert len(table) == 4  # 2 factors seen × 2 axes seen
    assert table.iloc[3]["n"] == 0  # legal × inner_peace was never recorded


@pytest.mark.parametrize(
    ("effect", "not_applicable", "message"),
    [(3, False, "whole number"), (0.5, False, "whole number"), (1, True, "not applicable")],
)
def test_factor_axis_map_rejects_bad_effects(
    effect: float, not_applicable: bool, message: str
) -> None:
    frame = effects_frame()
    frame.loc[0, "effect"] = effect
    frame.loc[0, "not_applicable"] = not_applicable
    with pytest.raises(ValueError, match=message):
        factor_axis_map(frame)
