"""Change over time, checked on hand-worked examples and against reference implementations.

The Jacobson–Truax numbers and the Kaplan–Meier and Wilson examples are worked out by hand in
the comments; the Kaplan–Meier estimator is also compared with scipy's ``ecdf`` for censored
data and with lifelines (when installed), and the Wilson interval with scipy's ``binomtest``.
"""

from __future__ import annotations

import doctest
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from empower.metrics import change
from empower.metrics.change import (
    CATEGORIES,
    KMResult,
    baseline_sd,
    classify_change,
    cohort_change_summary,
    kaplan_meier,
    protect_change_summary,
    reliable_change,
    standard_error_of_difference,
    time_to_improvement,
    wilson_interval,
)

START = pd.Timestamp("2024-01-01")
# The two bundled instruments: the v1 scales and the v2 four-axis interview.
V1, V2 = ("empowerment-scales", "1.0"), ("empowerment-interview", "2.0")


def score_rows(rows: Sequence[tuple]) -> pd.DataFrame:
    """``(participant, day, (instrument, version), axis, score)`` → the long score frame."""
    return pd.DataFrame(
        [
            {
                "participant": p,
                "date": START + pd.Timedelta(days=day),
                "instrument_id": version[0],
                "instrument_version": version[1],
                "axis": axis,
                "score": score,
            }
            for p, day, version, axis, score in rows
        ]
    )


def test_docstring_examples() -> None:
    result = doctest.testmod(change, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- one change: Jacobson & Truax -------------------------------------------------------------


def test_reliable_change_hand_worked() -> None:
    # SD 15, r 0.84: S_E = 15·√(1 − 0.84) = 15·0.4 = 6; S_diff = √(2·6²) = √72 = 8.4853;
    # a gain of 20 points: RCI = 20 / 8.4853 = 2.3570 > 1.96 → reliably improved.
    s_diff = standard_error_of_difference(15, 0.84)
    assert s_diff / math.sqrt(2) == pytest.approx(6.0, abs=1e-12)
    assert s_diff == pytest.approx(math.sqrt(72), abs=1e-12)
    assert round(s_diff, 3) == 8.485
    assert reliable_change(50, 70, 15, 0.84) == pytest.approx(20 / math.sqrt(72), abs=1e-12)
    assert round(reliable_change(50, 70, 15, 0.84), 3) == 2.357
    assert round(reliable_change(70, 50, 15, 0.84), 3) == -2.357


def test_cross_version_standard_error_generalises_jacobson_truax() -> None:
    # r₁ = 0.75, r₂ = 0.84: S_diff = 15·√(0.25 + 0.16) = 15·√0.41 = 9.6047.
    assert standard_error_of_difference(15, 0.75, 0.84) == pytest.approx(15 * math.sqrt(0.41))
    assert standard_error_of_difference(15, 0.84, 0.84) == standard_error_of_difference(15, 0.84)
    assert reliable_change(40, 60, 15, 0.75, 0.84) == pytest.approx(20 / (15 * math.sqrt(0.41)))


@pytest.mark.parametrize(
    ("sd", "r"), [(15, 1.0), (15, -0.1), (0, 0.8), (-3, 0.8), (float("nan"), 0.8), (15, True)]
)
def test_reliable_change_rejects_impossible_inputs(sd: float, r: float) -> None:
    with pytest.raises(ValueError):
        reliable_change(50, 70, sd, r)


# --- classification ---------------------------------------------------------------------------

RELIABILITIES = {
    (*V1, "self_capacity"): 0.75,
    (*V1, "distress"): 0.80,  # an axis only version 1 has
    (*V2, "self_capacity"): 0.84,
    (*V2, "inner_peace"): 0.84,
}


def four_people() -> pd.DataFrame:
    # Baselines on inner_peace 40, 50, 60, 70: mean 55, Σ(x − 55)² = 500,
    # SD = √(500/3) = 12.9099; S_diff = SD·√(2·0.16) = √(500/3·0.32) = 7.3030;
    # MID = 0.5·SD = 6.4550.
    #   A 40 → 45 → 60: change +20, RCI +2.7386 reliably improved, MID improved
    #   B 50 → 55:      change  +5, RCI +0.6847 no reliable change, MID unchanged
    #   C 60 → 50:      change −10, RCI −1.3693 no reliable change, MID deteriorated
    #   D 70 → 50:      change −20, RCI −2.7386 reliably deteriorated, MID deteriorated
    return score_rows(
        [
            ("A", 0, V2, "inner_peace", 40.0),
            ("A", 90, V2, "inner_peace", 45.0),
            ("A", 180, V2, "inner_peace", 60.0),
            ("B", 10, V2, "inner_peace", 50.0),
            ("B", 200, V2, "inner_peace", 55.0),
            ("C", 0, V2, "inner_peace", 60.0),
            ("C", 100, V2, "inner_peace", 50.0),
            ("D", 0, V2, "inner_peace", 70.0),
            ("D", 150, V2, "inner_peace", 50.0),
        ]
    )


def test_baseline_sd_uses_each_participants_first_score() -> None:
    assert baseline_sd(four_people()) == {"inner_peace": pytest.approx(math.sqrt(500 / 3))}


def test_classify_change_first_against_latest() -> None:
    table = classify_change(four_people(), RELIABILITIES).set_index("participant")
    sd = math.sqrt(500 / 3)
    s_diff = sd * math.sqrt(0.32)
    assert round(s_diff, 4) == 7.3030
    assert table["sd"].tolist() == pytest.approx([sd] * 4)
    assert table["s_diff"].tolist() == pytest.approx([s_diff] * 4)
    assert table["change"].tolist() == [20.0, 5.0, -10.0, -20.0]
    assert table["rci"].round(4).tolist() == [2.7386, 0.6847, -1.3693, -2.7386]
    assert table["category"].tolist() == [
        "reliably_improved",
        "no_reliable_change",
        "no_reliable_change",
        "reliably_deteriorated",
    ]
    assert table["mid"].tolist() == ["improved", "unchanged", "deteriorated", "deteriorated"]
    a = table.loc["A"]
    assert (a["baseline_date"], a["latest_date"], a["days"]) == (
        START,
        START + pd.Timedelta(days=180),
        180,
    )
    assert (a["baseline"], a["latest"]) == (40.0, 60.0)
    assert (a["baseline_version"], a["latest_version"]) == ("2.0", "2.0")
    assert a["comparison_note"] == "same instrument version (empowerment-interview v2.0)"


def test_classify_change_consecutive_pairs() -> None:
    table = classify_change(four_people(), RELIABILITIES, compare="consecutive")
    a = table[table["participant"] == "A"]
    # 40 → 45: RCI 5/7.3030 = 0.6847; 45 → 60: RCI 15/7.3030 = 2.0540 > 1.96.
    assert a["baseline"].tolist() == [40.0, 45.0]
    assert a["latest"].tolist() == [45.0, 60.0]
    assert a["rci"].round(4).tolist() == [0.6847, 2.0540]
    assert a["category"].tolist() == ["no_reliable_change", "reliably_improved"]
    assert len(table) == 5  # A twice, B, C, D once


def test_classify_change_with_given_sd_criterion_and_mid() -> None:
    frame = four_people()
    # SD 15 for the axis: S_diff = 8.4853; A's +20 → 2.357; MID 7.5 → B's +5 unchanged.
    table = classify_change(frame, RELIABILITIES, sd={"inner_peace": 15}).set_index("participant")
    assert table.loc["A", "rci"] == pytest.approx(20 / math.sqrt(72))
    # A stricter criterion (2.5) turns A's 2.357 into no reliable change; MID at 1·SD = 15
    # keeps A improved (change 20 ≥ 15) and C unchanged (−10 > −15).
    strict = classify_change(frame, RELIABILITIES, sd=15, criterion=2.5, mid_fraction=1.0)
    strict = strict.set_index("participant")
    assert strict.loc["A", "category"] == "no_reliable_change"
    assert strict.loc["A", "mid"] == "improved"
    assert strict.loc["C", "mid"] == "unchanged"
    # Exactly half an SD counts as a minimal important difference: 7.5 ≥ 0.5·15.
    edge = score_rows([("X", 0, V2, "inner_peace", 50.0), ("X", 30, V2, "inner_peace", 57.5)])
    assert classify_change(edge, RELIABILITIES, sd=15).loc[0, "mid"] == "improved"


def test_cross_version_comparison_uses_both_reliabilities() -> None:
    # v1 (r 0.75) at baseline, v2 (r 0.84) at follow-up, SD 15, gain 20:
    #   S_diff = 15·√(0.25 + 0.16) = 9.6047 → RCI 2.0823 → reliably improved.
    #   With v1's reliability alone: S_diff = 15·√0.5 = 10.6066 → RCI 1.8856, no change –
    #   so the test tells the two apart.
    frame = score_rows([("P", 0, V1, "self_capacity", 40.0), ("P", 180, V2, "self_capacity", 60.0)])
    row = classify_change(frame, RELIABILITIES, sd=15).iloc[0]
    assert row["s_diff"] == pytest.approx(15 * math.sqrt(0.41))
    assert round(row["rci"], 4) == 2.0823
    assert row["category"] == "reliably_improved"
    assert (row["reliability_baseline"], row["reliability_latest"]) == (0.75, 0.84)
    assert (row["baseline_instrument"], row["baseline_version"]) == V1
    assert (row["latest_instrument"], row["latest_version"]) == V2
    assert row["comparison_note"] == (
        "compared across versions through the shared axis "
        "(empowerment-scales v1.0 → empowerment-interview v2.0)"
    )


def test_axes_of_one_version_only_are_skipped_with_a_note() -> None:
    frame = score_rows(
        [
            ("P", 0, V1, "self_capacity", 40.0),
            ("P", 0, V1, "distress", 60.0),
            ("P", 180, V2, "self_capacity", 60.0),
            ("P", 180, V2, "inner_peace", 55.0),
        ]
    )
    table = classify_change(frame, RELIABILITIES, sd=15).set_index("axis")
    assert table.loc["self_capacity", "category"] == "reliably_improved"
    for axis, other in [
        ("distress", "empowerment-interview v2.0"),
        ("inner_peace", "empowerment-scales v1.0"),
    ]:
        row = table.loc[axis]
        assert pd.isna(row["category"]) and pd.isna(row["mid"]) and pd.isna(row["rci"])
        assert row["comparison_note"] == (
            "not compared: only one assessment scored this axis; "
            f"{other} has no {axis} axis, so it is skipped"
        )


def test_missing_scores_are_skipped_and_single_scores_reported() -> None:
    frame = score_rows(
        [
            ("A", 0, V2, "inner_peace", 40.0),
            ("A", 90, V2, "inner_peace", 70.0),
            ("A", 180, V2, "inner_peace", float("nan")),  # could not be computed
            ("B", 0, V2, "inner_peace", 50.0),
            ("C", 0, V2, "inner_peace", float("nan")),
        ]
    )
    table = classify_change(frame, RELIABILITIES, sd=15).set_index("participant")
    assert table.loc["A", "latest"] == 70.0 and table.loc["A", "days"] == 90
    assert table.loc["B", "comparison_note"] == "not compared: only one assessment scored this axis"
    assert table.loc["B", "baseline"] == 50.0 and pd.isna(table.loc["B", "latest"])
    assert table.loc["C", "comparison_note"] == "not compared: no assessment scored this axis"


def test_bad_input_gets_a_clear_error() -> None:
    frame = four_people()
    with pytest.raises(ValueError, match="no reliability given for axis 'inner_peace'"):
        classify_change(frame, {(*V1, "inner_peace"): 0.8})
    with pytest.raises(ValueError, match="two scores on axis"):
        classify_change(pd.concat([frame, frame.iloc[[0]]]), RELIABILITIES)
    with pytest.raises(ValueError, match="between 0 and 100"):
        classify_change(frame.assign(score=frame["score"] + 50), RELIABILITIES)
    with pytest.raises(ValueError, match="missing column"):
        classify_change(frame.drop(columns="date"), RELIABILITIES)
    with pytest.raises(ValueError, match="compare must be one of"):
        classify_change(frame, RELIABILITIES, compare="best")
    with pytest.raises(ValueError, match="in \\[0, 1\\)"):
        classify_change(frame, {(*V2, "inner_peace"): 1.0})
    one = frame[frame["participant"] == "A"]  # one baseline: no SD to estimate
    with pytest.raises(ValueError, match="pass sd="):
        classify_change(one, RELIABILITIES)


# --- Kaplan–Meier -----------------------------------------------------------------------------

# Six participants followed until their first reliable improvement (event) or their latest
# assessment (censored), in days since baseline:
#
#   A  30 improved      B  60 improved      C  60 improved
#   D  60 censored (assessed on day 60, not improved: still at risk on day 60)
#   E  90 censored      F 120 improved
#
#     t   nᵢ  dᵢ  cᵢ   1 − dᵢ/nᵢ   S(t)
#    30    6   1   0     5/6       5/6           = 0.8333
#    60    5   2   1     3/5       5/6 · 3/5     = 0.5
#    90    2   0   1     1         0.5
#   120    1   1   0     0         0
#
# Median: the first t with S(t) ≤ 0.5, day 60. Had D left before day 60 (n = 4 there),
# S(60) would be 5/6 · 2/4 = 0.4167: the test tells the conventions apart.
SIX_DAYS = [30, 60, 60, 60, 90, 120]
SIX_IMPROVED = [True, True, True, False, False, True]


def assert_six_person_curve(km: KMResult) -> None:
    assert km.timeline.tolist() == [30, 60, 90, 120]
    assert km.n_at_risk.tolist() == [6, 5, 2, 1]
    assert km.events.tolist() == [1, 2, 0, 1]
    assert km.censored.tolist() == [0, 1, 1, 0]
    assert km.survival == pytest.approx([5 / 6, 1 / 2, 1 / 2, 0.0], abs=1e-15)
    assert km.median_days == 60
    assert km.n == 6


def test_kaplan_meier_hand_worked_six_people() -> None:
    assert_six_person_curve(kaplan_meier(SIX_DAYS, SIX_IMPROVED))


def test_kaplan_meier_median_not_reached() -> None:
    km = kaplan_meier([30, 60, 90, 90], [True, False, False, False])
    assert km.survival == pytest.approx([0.75, 0.75, 0.75])
    assert km.median_days is None


def random_follow_up(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 250
    days = rng.integers(1, 25, n) * 30  # visits every 30 days: many ties
    improved = rng.random(n) < 0.55
    return days, improved


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kaplan_meier_matches_scipy(seed: int) -> None:
    days, improved = random_follow_up(seed)
    km = kaplan_meier(days, improved)
    reference = stats.ecdf(stats.CensoredData(uncensored=days[improved], right=days[~improved]))
    np.testing.assert_array_equal(km.timeline, reference.sf.quantiles)
    np.testing.assert_allclose(km.survival, reference.sf.probabilities, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_kaplan_meier_matches_lifelines(seed: int) -> None:
    lifelines = pytest.importorskip("lifelines")
    days, improved = random_follow_up(seed)
    km = kaplan_meier(days, improved)
    fitter = lifelines.KaplanMeierFitter().fit(days, improved)
    curve = fitter.survival_function_["KM_estimate"]
    np.testing.assert_allclose(km.survival, curve.loc[km.timeline], rtol=0, atol=1e-12)
    table = fitter.event_table.loc[km.timeline]
    np.testing.assert_array_equal(km.n_at_risk, table["at_risk"])
    np.testing.assert_array_equal(km.events, table["observed"])
    np.testing.assert_array_equal(km.censored, table["censored"])
    expected = fitter.median_survival_time_
    assert km.median_days == (None if math.isinf(expected) else expected)


def test_kaplan_meier_six_people_matches_lifelines() -> None:
    lifelines = pytest.importorskip("lifelines")
    fitter = lifelines.KaplanMeierFitter().fit(SIX_DAYS, SIX_IMPROVED)
    km = kaplan_meier(SIX_DAYS, SIX_IMPROVED)
    np.testing.assert_allclose(km.survival, fitter.survival_function_.iloc[1:, 0], atol=1e-12)
    # lifelines computes S(60) as exp(Σ log(1 − d/n)) = 0.5000000000000001, a hair above one
    # half, and so reports the median as 120; the exact product is 1/2 and the median 60.
    assert fitter.survival_function_.loc[60.0, "KM_estimate"] == pytest.approx(0.5, abs=1e-15)
    assert (km.median_days, fitter.median_survival_time_) == (60, 120)


def test_kaplan_meier_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        kaplan_meier([10, -1], [True, False])
    with pytest.raises(ValueError):
        kaplan_meier([10, 20], [True])
    with pytest.raises(ValueError):
        kaplan_meier([10, 20], [1, 2])


def six_people_scores() -> pd.DataFrame:
    # SD 15, r 0.84 → S_diff 8.4853: reliable improvement needs a gain > 1.96·8.4853 = 16.63.
    #   A 40 → 60 on day 30 (+20): improved at 30
    #   B 40 → 50 on 30 (+10), → 62 on 60 (+22): improved at 60; day 90's 30 comes after
    #   C 40 → 70 on 60 (+30): improved at 60
    #   D 40 → 45 on 60: censored at 60
    #   E 40 → 50 on 30, → 20 on 90 (reliably worse, not an improvement): censored at 90
    #   F 40 → 55 on 60 (+15, RCI 1.77), → 58 on 120 (+18, RCI 2.12): improved at 120
    #   G 40 at baseline only: cannot enter the curve
    axis = "inner_peace"
    return score_rows(
        [
            ("A", 0, V2, axis, 40.0),
            ("A", 30, V2, axis, 60.0),
            ("B", 0, V2, axis, 40.0),
            ("B", 30, V2, axis, 50.0),
            ("B", 60, V2, axis, 62.0),
            ("B", 90, V2, axis, 30.0),
            ("C", 0, V2, axis, 40.0),
            ("C", 60, V2, axis, 70.0),
            ("D", 0, V2, axis, 40.0),
            ("D", 60, V2, axis, 45.0),
            ("E", 0, V2, axis, 40.0),
            ("E", 30, V2, axis, 50.0),
            ("E", 90, V2, axis, 20.0),
            ("F", 0, V2, axis, 40.0),
            ("F", 60, V2, axis, 55.0),
            ("F", 120, V2, axis, 58.0),
            ("G", 0, V2, axis, 40.0),
            ("A", 0, V2, "self_capacity", 40.0),  # another axis: not in this curve
            ("A", 30, V2, "self_capacity", 90.0),
        ]
    )


def test_time_to_improvement_hand_worked() -> None:
    km = time_to_improvement(six_people_scores(), RELIABILITIES, axis="inner_peace", sd=15)
    assert_six_person_curve(km)
    assert km.n_without_follow_up == 1


def test_time_to_improvement_follows_baseline_dates_of_each_person() -> None:
    frame = six_people_scores()
    shifted = frame.assign(
        date=frame["date"] + pd.to_timedelta(frame["participant"].map(ord) * 7, unit="D")
    )
    km = time_to_improvement(shifted, RELIABILITIES, axis="inner_peace", sd=15)
    assert km.timeline.tolist() == [30, 60, 90, 120]
    with pytest.raises(ValueError, match="no axis"):
        time_to_improvement(frame, RELIABILITIES, axis="meaning", sd=15)


def test_time_to_improvement_across_versions() -> None:
    # P: v1 40 → v2 60 on day 180; S_diff = 15·√(0.25 + 0.16) = 9.6047, RCI 2.082: improved.
    # Q: v1 40 → v1 60 on day 90;  S_diff = 15·√0.5 = 10.6066, RCI 1.886: censored at 90.
    #   t = 90: n 2, d 0 → S 1;  t = 180: n 1, d 1 → S 0;  median 180.
    frame = score_rows(
        [
            ("P", 0, V1, "self_capacity", 40.0),
            ("P", 180, V2, "self_capacity", 60.0),
            ("Q", 0, V1, "self_capacity", 40.0),
            ("Q", 90, V1, "self_capacity", 60.0),
        ]
    )
    km = time_to_improvement(frame, RELIABILITIES, axis="self_capacity", sd=15)
    assert km.timeline.tolist() == [90, 180]
    assert km.events.tolist() == [0, 1] and km.censored.tolist() == [1, 0]
    assert km.survival.tolist() == [1.0, 0.0]
    assert km.median_days == 180


# --- cohort summary ---------------------------------------------------------------------------


def test_wilson_interval_hand_worked() -> None:
    # 7 of 20, z = 1.95996: p̂ = 0.35, z²/n = 0.19207;
    # centre = (0.35 + 0.09604) / 1.19207 = 0.37417;
    # half = 1.95996 / 1.19207 · √(0.35·0.65/20 + 3.84146/1600) = 1.64417 · 0.11737 = 0.19298;
    # interval [0.181, 0.567].
    lower, upper = wilson_interval(7, 20)
    assert (round(lower, 3), round(upper, 3)) == (0.181, 0.567)


@pytest.mark.parametrize(
    ("count", "n", "confidence"),
    [(7, 20, 0.95), (0, 12, 0.95), (12, 12, 0.95), (1, 3, 0.9), (40, 76, 0.99)],
)
def test_wilson_interval_matches_scipy(count: int, n: int, confidence: float) -> None:
    reference = stats.binomtest(count, n).proportion_ci(confidence, method="wilson")
    assert wilson_interval(count, n, confidence) == pytest.approx(
        (reference.low, reference.high), abs=1e-12
    )


def test_wilson_interval_edges() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    for bad in [(3, 2), (-1, 2), (1.5, 3)]:
        with pytest.raises(ValueError):
            wilson_interval(*bad)


def test_cohort_change_summary_counts_shares_intervals() -> None:
    frame = pd.concat(
        [four_people(), score_rows([("E", 0, V2, "inner_peace", 65.0)])], ignore_index=True
    )
    # E's single baseline (65) joins the SD: baselines 40, 50, 60, 70, 65 have SD
    # √(580/4) = 12.0416, S_diff = 6.8118 and MID 6.0208, which leaves every category of
    # A–D as above (RCIs +2.936, +0.734, −1.468, −2.936).
    classified = classify_change(frame, RELIABILITIES)
    assert classified["sd"].iloc[0] == pytest.approx(math.sqrt(145))
    assert classified["rci"].iloc[:4].round(3).tolist() == [2.936, 0.734, -1.468, -2.936]
    times = {"inner_peace": kaplan_meier(SIX_DAYS, SIX_IMPROVED)}
    row = cohort_change_summary(classified, times=times).iloc[0]
    # Of the four compared: 1 improved, 2 no change, 1 deteriorated; E not compared.
    assert (row["axis"], row["n"], row["n_not_compared"], row["n_across_versions"]) == (
        "inner_peace",
        4,
        1,
        0,
    )
    assert [row[c] for c in CATEGORIES] == [1, 2, 1]
    assert [row[f"{c}_share"] for c in CATEGORIES] == [0.25, 0.5, 0.25]
    reference = stats.binomtest(2, 4).proportion_ci(0.95, method="wilson")
    assert row["no_reliable_change_lower"] == pytest.approx(reference.low, abs=1e-12)
    assert row["no_reliable_change_upper"] == pytest.approx(reference.high, abs=1e-12)
    assert [row["mid_improved"], row["mid_unchanged"], row["mid_deteriorated"]] == [1, 1, 2]
    assert row["median_days_to_improvement"] == 60


def test_cohort_change_summary_counts_cross_version_comparisons() -> None:
    frame = score_rows(
        [
            ("P", 0, V1, "self_capacity", 40.0),
            ("P", 180, V2, "self_capacity", 60.0),
            ("Q", 0, V2, "self_capacity", 50.0),
            ("Q", 90, V2, "self_capacity", 52.0),
        ]
    )
    summary = cohort_change_summary(classify_change(frame, RELIABILITIES, sd=15))
    assert summary.loc[0, "n_across_versions"] == 1
    assert summary.loc[0, "median_days_to_improvement"] is None


def test_cohort_change_summary_refuses_consecutive_rows() -> None:
    classified = classify_change(four_people(), RELIABILITIES, compare="consecutive")
    with pytest.raises(ValueError, match="first_latest"):
        cohort_change_summary(classified)


def summary_for(counts: dict[str, tuple[int, int, int]], mid: tuple[int, int, int]) -> pd.DataFrame:
    rows = []
    for axis, (improved, same, worse) in counts.items():
        rows += [(axis, "reliably_improved", "improved")] * improved
        rows += [(axis, "no_reliable_change", "unchanged")] * same
        rows += [(axis, "reliably_deteriorated", "deteriorated")] * worse
    frame = pd.DataFrame(rows, columns=["axis", "category", "mid"])
    frame["participant"] = frame.groupby("axis").cumcount()
    first = frame["axis"] == next(iter(counts))
    labels = ["improved"] * mid[0] + ["unchanged"] * mid[1] + ["deteriorated"] * mid[2]
    frame.loc[first, "mid"] = labels
    return cohort_change_summary(frame)


def test_protect_change_summary_hides_small_cells_and_their_complements() -> None:
    # inner_peace, n = 20: 12 / 6 / 2. The 2 is under 5 (primary); alone it would be
    # 20 − 12 − 6, so the smallest published non-zero count, 6, is hidden too.
    # MID 10 / 7 / 3 likewise: 3 (primary) and 7 (complement).
    # self_capacity, n = 3: under 5, so the whole row is withheld.
    summary = summary_for({"inner_peace": (12, 6, 2), "self_capacity": (1, 1, 1)}, (10, 7, 3))
    internal = protect_change_summary(summary, "internal")
    assert not internal["withheld"].any() and internal.loc[0, "reliably_deteriorated"] == 2
    safe = protect_change_summary(summary, "external").set_index("axis")
    row = safe.loc["inner_peace"]
    assert row["withheld"] and row["n"] == 20 and row["reliably_improved"] == 12
    for category in ("no_reliable_change", "reliably_deteriorated"):
        for suffix in ("", "_share", "_lower", "_upper"):
            assert row[f"{category}{suffix}"] is None
    assert row["reliably_improved_share"] == 0.6
    assert (row["mid_improved"], row["mid_unchanged"], row["mid_deteriorated"]) == (10, None, None)
    small = safe.loc["self_capacity"]
    assert small["withheld"]
    assert all(small[c] is None for c in safe.columns if c not in ("withheld",))
    # The original is left alone.
    assert summary.loc[0, "reliably_deteriorated"] == 2


def test_protect_change_summary_public_threshold() -> None:
    summary = summary_for({"inner_peace": (12, 6, 2)}, (10, 7, 3))
    public = protect_change_summary(summary, "public").iloc[0]  # threshold 11
    assert public["reliably_improved"] == 12
    assert public["no_reliable_change"] is None and public["reliably_deteriorated"] is None


def test_mean_trajectory_counts_each_person_once_per_bin() -> None:
    from empower.metrics.change import mean_trajectory

    # Person 1: baseline 40, then 60 and 70 within days 90–179 → their mean there is 65.
    # Person 2: baseline 50, then 80 at day 100. Bin 90: (65 + 80) / 2 = 72.5 from 2 people.
    scores = pd.DataFrame({
        "participant": [1, 1, 1, 2, 2], "axis": "healing",
        "date": pd.to_datetime(["2025-01-01", "2025-04-10", "2025-05-01", "2025-01-01",
                                "2025-04-11"]),
        "score": [40.0, 60.0, 70.0, 50.0, 80.0],
    })
    table = mean_trajectory(scores)
    assert table.to_dict("records") == [
        {"axis": "healing", "days": 0, "n": 2, "mean": 45.0},
        {"axis": "healing", "days": 90, "n": 2, "mean": 72.5},
    ]
