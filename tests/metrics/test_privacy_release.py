"""Comparing releases (the differencing attack) and rounding what is published.

Every expected value here is worked out by hand in the comments.
"""

from __future__ import annotations

import pytest

from empower.metrics.privacy import (
    WITHHELD_CELL,
    WITHHELD_LABEL,
    changed_people,
    plan_release,
    published_contributions,
    round_for_release,
    round_half_up,
    withhold_tables,
)


def people(*codes: str, token: str = "1") -> dict[str, str]:
    return dict.fromkeys(codes, token)


TWENTY = [f"p{i:02d}" for i in range(20)]


def test_changed_people_counts_joins_leaves_and_changed_values() -> None:
    earlier = {"scored": {"a": "50.0", "b": "60.0", "c": "70.0"}}
    current = {"scored": {"a": "50.0", "b": "65.0", "d": "10.0"}, "missing": {}}
    # b changed, c left, d joined; a is the same; nobody in "missing" either time.
    assert changed_people(earlier, current) == {"scored": 3, "missing": 0}


def test_one_withdrawal_holds_the_release_back() -> None:
    before = {"sample": {"n": people(*TWENTY)}}
    after = {"sample": {"n": people(*TWENTY[1:])}}
    plan = plan_release(after, [(before, 5)], 5)
    assert plan.hold and plan.fewest == {"sample": 1}


def test_enough_newcomers_release_but_a_group_only_she_left_is_withheld() -> None:
    # She (p00) was from the north and left; five newcomers are all from the south.
    north, south = TWENTY[:10], TWENTY[10:]
    new = ["n1", "n2", "n3", "n4", "n5"]
    before = {"sample": {"n": people(*TWENTY)},
              "breakdown:region": {"north": people(*north), "south": people(*south)}}
    after = {"sample": {"n": people(*TWENTY[1:], *new)},
             "breakdown:region": {"north": people(*north[1:]), "south": people(*south, *new)}}
    # sample: 1 left + 5 joined = 6 ≥ 5; north: 1 (fails); south: 5 (passes).
    plan = plan_release(after, [(before, 5)], 5)
    assert not plan.hold
    assert plan.withhold == {"breakdown:region"}
    assert plan.fewest == {"breakdown:region": 1}


def test_a_changed_score_counts_as_a_change_of_that_person() -> None:
    before = {"sample": {"n": people(*TWENTY)}, "axis:x": {"scored": people(*TWENTY, token="50")}}
    after = {"sample": {"n": people(*TWENTY)},
             "axis:x": {"scored": {**people(*TWENTY, token="50"), "p03": "80"}}}
    # Same people, one new score: the mean would move by (80 − 50)/20 and give it away.
    plan = plan_release(after, [(before, 5)], 5)
    assert not plan.hold and plan.withhold == {"axis:x"}


def test_every_earlier_release_counts_not_only_the_last() -> None:
    first = {"sample": {"n": people(*TWENTY)}}
    second = {"sample": {"n": people(*TWENTY, "x1", "x2", "x3", "x4", "x5", "x6")}}
    # The third release: p00 left, x1…x4 stay, x5 and x6 left. Against the first release
    # 1 + 4 = 5 people differ (enough); against the second only p00, x5 and x6 (3).
    third = {"sample": {"n": people(*TWENTY[1:], "x1", "x2", "x3", "x4")}}
    assert plan_release(third, [(first, 5)], 5).hold is False
    assert plan_release(third, [(first, 5), (second, 5)], 5).hold is True


def test_a_pair_of_releases_is_checked_with_the_smaller_threshold() -> None:
    before = {"sample": {"n": people(*TWENTY)}}
    after = {"sample": {"n": people(*TWENTY[6:])}}  # 6 left
    assert plan_release(after, [(before, 5)], 11).hold is False  # a viewer's 5: 6 ≥ 5
    assert plan_release(after, [(before, 11)], 11).hold is True  # public vs public: 6 < 11


def test_tables_only_one_release_published_are_not_compared() -> None:
    before = {"sample": {"n": people(*TWENTY)}}
    after = {"sample": {"n": people(*TWENTY)}, "age": {"known": people("p00", token="30")}}
    assert plan_release(after, [(before, 5)], 5) == (False, frozenset(), {})


def _report(rows: list[dict], multi: bool = False, mean: float | None = 50.0) -> dict:
    return {
        "sample": {"n": 20, "breakdowns": {"status": rows},
                   "multi_select": ["status"] if multi else []},
        "axis_scores": [{"instrument_id": "i", "instrument_version": "1", "axis": "a",
                         "mean": mean}],
    }


def test_published_contributions_pool_suppressed_single_select_categories() -> None:
    contributions = {"breakdown:status": {"returned": people(*TWENTY[:17]),
                                          "escaped": people(*TWENTY[17:19]),
                                          "other": people("p19")},
                     "axis:i@1:a": {"scored": people(*TWENTY, token="50.0")}}
    rows = [{"category": "returned", "count": 17, "suppressed": False},
            {"category": "escaped", "count": None, "suppressed": True},
            {"category": "other", "count": None, "suppressed": True}]
    published = published_contributions(contributions, _report(rows))
    # A reader knows only escaped + other = 3 (20 − 17): one cell of p17, p18, p19.
    assert published["breakdown:status"] == {"returned": people(*TWENTY[:17]),
                                             WITHHELD_CELL: people("p17", "p18", "p19")}
    assert published["axis:i@1:a"]["scored"]["p00"] == "50.0"
    # A multi-select table has no total to subtract from: its hidden cells say nothing.
    multi = published_contributions(contributions, _report(rows, multi=True))
    assert multi["breakdown:status"] == {"returned": people(*TWENTY[:17])}
    # A withheld mean publishes who is counted, not their scores.
    hidden = published_contributions(contributions, _report(rows, mean=None))
    assert hidden["axis:i@1:a"]["scored"] == people(*TWENTY)


def test_withhold_tables_blanks_only_the_named_tables() -> None:
    report = {
        "sample": {"n": 20, "age": {"n": 20, "mean": 30},
                   "breakdowns": {"region": [{"category": "north", "count": 10}],
                                  "gender": [{"category": "female", "count": 20}]}},
        "axis_scores": [{"instrument_id": "i", "instrument_version": "1", "axis": "a",
                         "n": 20, "n_missing": 0, "mean": 50, "sd": 3, "median": 50,
                         "minimum": None, "maximum": None}],
        "factor_axis_map": [],
    }
    out = withhold_tables(report, {"breakdown:region", "axis:i@1:a"})
    assert [r["label"] for r in out["sample"]["breakdowns"]["region"]] == [WITHHELD_LABEL]
    assert out["sample"]["breakdowns"]["gender"] == [{"category": "female", "count": 20}]
    assert out["axis_scores"][0]["mean"] is None and out["axis_scores"][0]["n"] is None
    assert out["sample"]["age"] == {"n": 20, "mean": 30}
    assert report["axis_scores"][0]["mean"] == 50  # the original is left alone


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (49.26, 0, 49), (2.5, 0, 3), (0.85, 1, 0.9), (-0.85, 1, -0.9), (1 / 3, 2, 0.33),
    (0.125, 2, 0.13), (None, 0, None),
])
def test_round_half_up(value, decimals, expected) -> None:
    assert round_half_up(value, decimals) == expected


def _axis_report(audience: str, mean: float) -> dict:
    return {"meta": {"disclosure": {"audience": audience}},
            "sample": {"n": 20, "age": {"n": 20, "mean": 25.83}},
            "axis_scores": [{"axis": "a", "n": 20, "mean": mean, "sd": 12.345, "median": 50.5,
                             "minimum": None, "maximum": None}],
            "factor_axis_map": [{"mean_effect": 0.85, "share_empowering": 0.9,
                                 "share_disempowering": 1 / 30, "share_no_effect": 2 / 30}],
            "change": {"axes": [{"axis": "a", "reliably_improved_share": 7 / 12,
                                 "reliably_improved_lower": 0.3194, "n": 12,
                                 "median_days_to_improvement": 120.5}],
                       "trajectory": [{"axis": "a", "days": 0, "n": 20, "mean": 38.889}]}}


def test_round_for_release_rounds_every_statistic_for_outside_readers() -> None:
    out = round_for_release(_axis_report("viewer", 51.6667))
    assert out["sample"]["age"]["mean"] == 26  # 25.83 → 26 years
    assert (out["axis_scores"][0]["mean"], out["axis_scores"][0]["sd"],
            out["axis_scores"][0]["median"]) == (52, 12, 51)  # 50.5 rounds half up
    cell = out["factor_axis_map"][0]
    assert (cell["mean_effect"], cell["share_empowering"], cell["share_disempowering"],
            cell["share_no_effect"]) == (0.9, 0.9, 0.03, 0.07)
    row = out["change"]["axes"][0]
    # 7/12 = 0.5833 → 58 %; 0.3194 → 32 %; 120.5 days → 121; counts untouched.
    assert (row["reliably_improved_share"], row["reliably_improved_lower"],
            row["median_days_to_improvement"], row["n"]) == (0.58, 0.32, 121, 12)
    assert out["change"]["trajectory"][0]["mean"] == 39


def test_internal_reports_stay_exact() -> None:
    report = _axis_report("internal", 51.6667)
    assert round_for_release(report) == report


def test_rounded_means_do_not_give_back_the_score_of_the_one_who_left() -> None:
    # 19 people score 50 and she scores 83.33 (issue 11's first score); then she withdraws.
    hers = 83.33
    before_mean, after_mean = (19 * 50 + hers) / 20, 50.0
    # Exact means: 20 · 51.6665 − 19 · 50 = 83.33, her score.
    assert 20 * before_mean - 19 * after_mean == pytest.approx(hers, abs=1e-9)
    before = round_for_release(_axis_report("public", before_mean))["axis_scores"][0]["mean"]
    after = round_for_release(_axis_report("public", after_mean))["axis_scores"][0]["mean"]
    assert (before, after) == (52, 50)
    recovered = 20 * before - 19 * after  # 1040 − 950 = 90
    assert recovered == 90 and abs(recovered - hers) > 0.5
    # Each mean is known to ±0.5, so her score is only known to lie in
    # [20·51.5 − 19·50.5, 20·52.5 − 19·49.5] = [70.5, 109.5]: 39 points wide.
    low, high = 20 * (before - 0.5) - 19 * (after + 0.5), 20 * (before + 0.5) - 19 * (after - 0.5)
    assert (low, high) == (70.5, 109.5)
