"""Disclosure control, checked on hand-worked tables and by trying to undo it.

Each suppression test states the table, what the threshold rule hides, and why; the
differencing tests then play the reader who wants a hidden count back, using only what was
published.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Sequence

import pandas as pd
import pytest

from empower.metrics.cohort import axis_summary, factor_axis_map, sample_profile
from empower.metrics.privacy import (
    PARTICIPANT_FIELD_SENSITIVITY,
    TOTAL,
    WITHHELD_LABEL,
    Audience,
    DisclosureError,
    SafeRange,
    Sensitivity,
    audit_table,
    fields_for,
    protect_cohort_report,
    safe_range,
    suppress_breakdown,
    suppress_statistic,
    suppress_table,
    threshold_for,
    with_margins,
)
from empower.reports.cohort import build_cohort_report, render_cohort_html

DASH = "\u2013"


def table(**counts: int) -> list[dict]:
    """A single-select breakdown in the report's shape, percentages of the counts' sum."""
    n = sum(counts.values())
    return [
        {"category": c, "count": k, "percent": round(100 * k / n, 2)} for c, k in counts.items()
    ]


def hidden(rows: list[dict]) -> list[str]:
    return [row["category"] for row in rows if row["suppressed"]]


def published(rows: list[dict]) -> dict[str, int]:
    return {row["category"]: row["count"] for row in rows if not row["suppressed"]}


def solutions(n: int, rows: list[dict]) -> list[dict[str, int]]:
    """Every assignment of whole numbers ≥ 1 (zeros are published) to the suppressed cells
    that adds up with the published cells to ``n``: what a reader can deduce, and no more."""
    names = hidden(rows)
    remainder = n - sum(published(rows).values())
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(range(1, remainder + 1), repeat=len(names))
        if sum(values) == remainder
    ]


# --- audiences, thresholds, fields ------------------------------------------------------------


def test_threshold_per_audience() -> None:
    assert threshold_for(Audience.INTERNAL) is None
    assert threshold_for("viewer") == 5
    assert threshold_for("external", organisation_threshold=7) == 7
    assert threshold_for("public") == 11  # CTDC's k-anonymity threshold
    assert threshold_for("public", organisation_threshold=5) == 11
    assert threshold_for("public", organisation_threshold=15) == 15


@pytest.mark.parametrize("bad", [2, 0, -5, 4.5, True, "5", None])
def test_threshold_must_be_a_whole_number_of_at_least_three(bad: object) -> None:
    with pytest.raises(ValueError, match="at least 3"):
        threshold_for("viewer", bad)  # type: ignore[arg-type]


def test_unknown_audience_is_an_error() -> None:
    with pytest.raises(ValueError):
        threshold_for("donors")


def test_identifying_fields_are_only_for_internal_audiences() -> None:
    tags = {
        "code": "plain",
        "name": "identifying",
        "gender": "quasi_identifying",
        "narrative": Sensitivity.IDENTIFYING,
        "status": "sensitive",
    }
    assert fields_for("internal", tags) == ["code", "name", "gender", "narrative", "status"]
    for audience in ("viewer", "external", "public"):
        assert fields_for(audience, tags) == ["code", "gender", "status"]


def test_participant_fields_are_tagged_as_documented() -> None:
    tags = PARTICIPANT_FIELD_SENSITIVITY
    assert tags["code"] is Sensitivity.PLAIN
    assert {tags[f] for f in ("name", "phone", "address", "narrative", "photo")} == {
        Sensitivity.IDENTIFYING
    }
    assert {tags[f] for f in ("gender", "year_of_birth", "region", "destination")} == {
        Sensitivity.QUASI_IDENTIFYING
    }
    assert {tags[f] for f in ("exploitation_types", "status", "answers")} == {Sensitivity.SENSITIVE}
    assert "name" not in fields_for("external", tags)


def test_unknown_sensitivity_tag_is_an_error() -> None:
    with pytest.raises(ValueError, match="'phone' has an unknown sensitivity tag"):
        fields_for("external", {"phone": "secret"})


# --- one-way tables ---------------------------------------------------------------------------


def test_two_small_cells_protect_each_other() -> None:
    # 40 + 30 + 3 + 3 = 76. C and D are below 5; together they hide 6 = 76 − 70, which
    # could be 1 + 5, 2 + 4, …: no complement is needed.
    rows = suppress_breakdown(table(A=40, B=30, C=3, D=3), 5, total=76)
    assert hidden(rows) == ["C", "D"]
    assert published(rows) == {"A": 40, "B": 30}
    assert [row["percent"] for row in rows] == [52.63, 39.47, None, None]
    assert solutions(76, rows) == [{"C": c, "D": 6 - c} for c in range(1, 6)]


def test_a_lone_small_cell_gets_the_smallest_other_cell_as_complement() -> None:
    rows = suppress_breakdown(table(A=50, B=23, C=3), 5, total=76)
    assert hidden(rows) == ["B", "C"]  # C by the threshold rule, B as its complement
    assert rows[1] == {"category": "B", "count": None, "percent": None, "suppressed": True}
    assert rows[0] == {"category": "A", "count": 50, "percent": 65.79, "suppressed": False}


def test_differencing_attempt_on_one_table() -> None:
    original = table(A=50, B=23, C=3)
    # Without the complement the reader subtracts: 76 − 50 − 23 = 3.
    primary_only = [{**r, "suppressed": r["count"] < 5} for r in original]
    assert solutions(76, primary_only) == [{"C": 3}]
    # With it, 76 − 50 = 26 is shared by B and C in 25 ways; neither value is pinned down.
    rows = suppress_breakdown(original, 5, total=76)
    found = solutions(76, rows)
    assert len(found) == 25
    for category in hidden(rows):
        assert len({solution[category] for solution in found}) > 1


def test_cells_of_one_are_not_left_to_be_deduced() -> None:
    # B and C are both 1: the reader knows each hidden cell is at least 1 (zeros are shown)
    # and that they add up to 72 − 70 = 2, so both must be 1. A is hidden as well.
    rows = suppress_breakdown(table(A=70, B=1, C=1), 5, total=72)
    assert hidden(rows) == ["A", "B", "C"]
    found = solutions(72, rows)
    assert all(len({solution[c] for solution in found}) > 1 for c in "ABC")


def test_a_table_of_ones_cannot_be_published_with_its_total() -> None:
    with pytest.raises(DisclosureError):
        suppress_breakdown(table(A=1, B=1, C=1, D=1, E=1), 5, total=5)


def test_zeros_are_published_and_never_used_as_complement() -> None:
    rows = suppress_breakdown(table(A=60, B=3, C=0, D=20), 5, total=83)
    assert hidden(rows) == ["B", "D"]
    assert published(rows) == {"A": 60, "C": 0}


def test_public_threshold_eleven() -> None:
    # status in the pilot: 65 / 6 / 5. Nothing is below 5, but both small ones are below 11.
    rows = table(returned=65, just_escaped=6, settled_elsewhere=5)
    assert (threshold_for("viewer"), threshold_for("public")) == (5, 11)
    assert hidden(suppress_breakdown(rows, 5, total=76)) == []
    public = suppress_breakdown(rows, 11, total=76)
    assert hidden(public) == ["just_escaped", "settled_elsewhere"]


def test_multi_select_gets_primary_suppression_only() -> None:
    # 60 people; one may report several types, so the counts add up to 65, not 60. Hiding
    # "forced marriage" alone is safe: 60 − 56 − 6 = −2 says nothing about it.
    rows = [
        {"category": "labour", "count": 56},
        {"category": "sex", "count": 6},
        {"category": "forced_marriage", "count": 3},
    ]
    multi = suppress_breakdown(rows, 5, total=60, multi_select=True)
    assert hidden(multi) == ["forced_marriage"]
    assert published(multi) == {"labour": 56, "sex": 6}
    # The same counts as a single-select table of 65 would need a complement.
    assert hidden(suppress_breakdown(rows, 5, total=65)) == ["sex", "forced_marriage"]


def test_single_select_counts_must_add_up_to_the_total() -> None:
    with pytest.raises(ValueError, match="add up"):
        suppress_breakdown(table(A=50, B=23, C=3), 5, total=80)
    with pytest.raises(ValueError, match="whole number"):
        suppress_breakdown([{"category": "A", "count": None}], 5)


def test_suppress_breakdown_leaves_its_input_alone() -> None:
    rows = table(A=50, B=23, C=3)
    before = copy.deepcopy(rows)
    suppress_breakdown(rows, 5, total=76)
    assert rows == before


# --- differencing across two releases ---------------------------------------------------------


def categories_that_lost_someone(first: list[dict], second: list[dict]) -> set[str]:
    """The reader compares two releases after one person left the cohort: a published cell
    that dropped by one names that person's category; otherwise it is one of the cells
    hidden in the second release."""
    before, after = published(first), published(second)
    dropped = {c for c in after if c in before and before[c] - after[c] == 1}
    return dropped or set(hidden(second))


def test_a_withdrawal_from_a_small_cell_stays_hidden_among_the_suppressed() -> None:
    first = suppress_breakdown(table(A=40, B=30, C=3, D=3), 5, total=76)
    second = suppress_breakdown(table(A=40, B=30, C=2, D=3), 5, total=75)
    assert categories_that_lost_someone(first, second) == {"C", "D"}


def test_a_cell_that_falls_below_the_threshold_is_not_revealed() -> None:
    # C = 5 is published in neither release: first as D's complement, then by the rule.
    first = suppress_breakdown(table(A=40, B=30, C=5, D=3), 5, total=78)
    second = suppress_breakdown(table(A=40, B=30, C=4, D=3), 5, total=77)
    assert hidden(first) == hidden(second) == ["C", "D"]
    assert categories_that_lost_someone(first, second) == {"C", "D"}


def test_a_withdrawal_from_a_published_cell_is_revealed_by_comparing_releases() -> None:
    # The known limit of cell suppression (docs/disclosure-control.md): the person who left
    # was in A, and nothing in one table can hide that. Releases at fixed intervals can.
    first = suppress_breakdown(table(A=40, B=30, C=3, D=3), 5, total=76)
    second = suppress_breakdown(table(A=39, B=30, C=3, D=3), 5, total=75)
    assert categories_that_lost_someone(first, second) == {"A"}


# --- statistics and ranges --------------------------------------------------------------------


def test_statistics_over_fewer_people_than_the_threshold_are_withheld() -> None:
    assert suppress_statistic(4, 5) is True
    assert suppress_statistic(5, 5) is False
    assert suppress_statistic(10, 11) is True
    assert suppress_statistic(0, 5) is True


def test_safe_range_of_the_pilot_ages() -> None:
    ages = [15, 49] + [26] * 49 + [25] * 25
    # Sorted: 15, 25 ×25, 26 ×49, 49. The 5th youngest is 25, so at least five are under 30
    # but fewer than five under 25; the 5th oldest is 26, so at least five are 25 or older.
    assert safe_range(ages, 5) == SafeRange(younger_than=30, at_least=25)
    assert safe_range(ages, 11) == SafeRange(younger_than=30, at_least=25)


def test_safe_range_hides_the_extremes_of_a_spread_sample() -> None:
    ages = [14, 17, 19, 22, 23, 24, 28, 31, 35, 38, 44, 52, 61]
    # 5th youngest 23 → under 25 (four are under 20); 5th oldest 35 → 35 or older.
    assert safe_range(ages, 5) == SafeRange(25, 35)
    assert safe_range([*ages, None, float("nan")], 5) == SafeRange(25, 35)
    # With 11, the 11th youngest is 44 and the 11th oldest 19.
    assert safe_range(ages, 11) == SafeRange(45, 15)
    assert safe_range(ages[:4], 5) is None


def test_safe_range_rejects_non_whole_ages() -> None:
    with pytest.raises(ValueError):
        safe_range([20, 21.5, 22, 23, 24], 5)


# --- two-way tables ---------------------------------------------------------------------------


def two_way() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": [20, 25, 18], "b": [30, 12, 22], "c": [3, 40, 35]}, index=["x", "y", "z"]
    )


def suppressed_cells(mask: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(mask.stack()[lambda s: s].index.tolist())


def test_margins() -> None:
    table_ = with_margins(two_way())
    assert table_.loc["x", TOTAL] == 53 and table_.loc[TOTAL, "c"] == 78
    assert table_.loc[TOTAL, TOTAL] == 205
    with pytest.raises(ValueError, match="negative"):
        with_margins(pd.DataFrame({"a": [1, -1]}))
    with pytest.raises(ValueError, match="whole"):
        with_margins(pd.DataFrame({"a": [1.5, 1]}))


def test_lone_small_cell_gets_a_partner_in_its_row_and_column() -> None:
    # (x, c) = 3 is alone in row x and column c. Its partners: (x, a) = 20, the smallest
    # other cell in row x; (z, c) = 35, the smallest in column c. Column a then needs a second
    # cell: (z, a) = 18, which also completes row z. The four form a rectangle.
    mask = suppress_table(two_way(), 5)
    assert suppressed_cells(mask) == [("x", "a"), ("x", "c"), ("z", "a"), ("z", "c")]
    assert suppress_table(two_way(), 5, audit=False).equals(mask)  # the heuristic alone
    assert list(mask.index) == ["x", "y", "z", TOTAL]
    assert not mask[TOTAL].any() and not mask.loc[TOTAL].any()


def test_audit_of_the_rectangle_by_hand() -> None:
    # Row x leaves 53 − 30 = 23 for (x,a) + (x,c); column a leaves 63 − 25 = 38 for
    # (x,a) + (z,a); column c leaves 78 − 40 = 38 for (x,c) + (z,c). With (x,a) = t:
    # (x,c) = 23 − t, (z,a) = 38 − t, (z,c) = 15 + t, and every cell ≥ 1 gives 1 ≤ t ≤ 22.
    found = audit_table(two_way(), suppress_table(two_way(), 5)).set_index(["row", "column"])
    assert found.loc[("x", "a"), ["lower", "upper"]].tolist() == [1, 22]
    assert found.loc[("x", "c"), ["lower", "upper"]].tolist() == [1, 22]
    assert found.loc[("z", "a"), ["lower", "upper"]].tolist() == [16, 37]
    assert found.loc[("z", "c"), ["lower", "upper"]].tolist() == [16, 37]
    assert not found["determined"].any()


def test_audit_catches_primary_suppression_alone() -> None:
    primary_only = two_way() < 5
    found = audit_table(two_way(), primary_only)
    assert found.to_dict(orient="records") == [
        {"row": "x", "column": "c", "value": 3, "lower": 3, "upper": 3, "determined": True}
    ]


def test_two_per_line_is_not_enough_and_the_audit_adds_more() -> None:
    # A 2 × 2 block of ones: every line has two suppressed cells, yet row x leaves
    # 12 − 10 = 2 for two cells that are each at least 1, so both are 1.
    counts = pd.DataFrame(
        {"a": [1, 1, 10], "b": [1, 1, 10], "c": [10, 10, 10]}, index=["x", "y", "z"]
    )
    heuristic = suppress_table(counts, 5, audit=False)
    assert suppressed_cells(heuristic) == [("x", "a"), ("x", "b"), ("y", "a"), ("y", "b")]
    assert audit_table(counts, heuristic)["determined"].all()
    audited = suppress_table(counts, 5)
    assert heuristic.le(audited).all().all()  # only ever more
    assert not audit_table(counts, audited)["determined"].any()


def test_two_way_public_threshold() -> None:
    # With 11, (y, b) = 9 joins (x, c) = 3. Partners: row x → (x, a) 20; row y → (y, a) 25
    # (smaller than 40, and it completes column a); column b → (z, b) 22; column c →
    # (z, c) 35, which completes row z. Six cells in a cycle; with (x, a) = t the others
    # are (x, c) = 23 − t, (z, c) = 15 + t, (z, b) = 42 − t, (y, b) = t − 11, (y, a) = 45 − t,
    # and every cell ≥ 1 gives 12 ≤ t ≤ 22.
    counts = two_way().assign(b=[30, 9, 22])
    assert ("y", "b") not in suppressed_cells(suppress_table(counts, 5))  # 9 ≥ 5
    mask = suppress_table(counts, 11)
    assert suppressed_cells(mask) == [
        ("x", "a"), ("x", "c"), ("y", "a"), ("y", "b"), ("z", "b"), ("z", "c")
    ]  # fmt: skip
    found = audit_table(counts, mask).set_index(["row", "column"])
    bounds = {cell: (row.lower, row.upper) for cell, row in found.iterrows()}
    assert bounds == {
        ("x", "a"): (12, 22), ("x", "c"): (1, 11), ("y", "a"): (23, 33),
        ("y", "b"): (1, 11), ("z", "b"): (20, 30), ("z", "c"): (27, 37),
    }  # fmt: skip


def test_small_totals_are_suppressed_too() -> None:
    # Row x is 2, 1 and its total 3: all below 5. Each of columns a, b and Total then has one
    # hidden cell and takes the only smaller partner it has, in row y (30 < 32, 40 < 41,
    # 70 < 73); only the row of column totals stays.
    counts = pd.DataFrame({"a": [2, 30], "b": [1, 40]}, index=["x", "y"])
    mask = suppress_table(counts, 5)
    assert suppressed_cells(mask) == [
        ("x", TOTAL), ("x", "a"), ("x", "b"), ("y", TOTAL), ("y", "a"), ("y", "b")
    ]  # fmt: skip
    assert not audit_table(counts, mask)["determined"].any()
    assert not mask.loc[TOTAL, TOTAL]


def test_zeros_stay_published_in_two_way_tables() -> None:
    counts = pd.DataFrame({"a": [0, 30, 12], "b": [3, 40, 9], "c": [20, 0, 15]})
    mask = suppress_table(counts, 5)
    assert not (mask & (with_margins(counts) == 0)).any().any()
    assert not audit_table(counts, mask)["determined"].any()


# --- the cohort report ------------------------------------------------------------------------


def participants(n: int = 76) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "code": [f"P{i:03d}" for i in range(76)],
            "gender": ["female"] * 45 + ["male"] * 31,
            "age": [15, 49] + [26] * 49 + [25] * 25,
            "region": ["north"] * 40 + ["south"] * 35 + [None],
            "exploitation_types": [["labour"]] * 51
            + [["labour", "forced_marriage"]] * 22
            + [["sex"]] * 3,
            "destination": ["Thailand"] * 28
            + ["China"] * 24
            + ["Myanmar"] * 15
            + ["Singapore"] * 4
            + [None] * 5,
            "status": ["returned"] * 65 + ["just_escaped"] * 6 + ["settled_elsewhere"] * 5,
        }
    )
    return frame.head(n)


def scores() -> pd.DataFrame:
    peace = [(f"P{i:03d}", s) for i, s in enumerate((20.0, 40.0, 90.0))]
    healing = [(f"P{i:03d}", s) for i, s in enumerate((50.0, 60.0, 70.0, 80.0, 90.0, 100.0))]
    rows = [(p, "four_axis", 2, "inner_peace", s) for p, s in peace]
    rows += [(p, "four_axis", 2, "healing", s) for p, s in healing]
    columns = ["participant", "instrument_id", "instrument_version", "axis", "score"]
    return pd.DataFrame(rows, columns=columns)


def effects() -> pd.DataFrame:
    people = [f"P{i:03d}" for i in range(20)]
    cells: dict[tuple[str, str], Sequence[object]] = {
        # n = 20: 18 empowering, 1 disempowering, 1 no effect; mean (18 − 1) / 20 = 0.85
        ("family", "healing"): [1] * 18 + [-1, 0],
        # n = 20: 12 × +2, 8 × −1; mean 16 / 20 = 0.8; shares 0.6 / 0.4 / 0
        ("family", "inner_peace"): [2] * 12 + [-1] * 8,
        # n = 15 (10 × +1, 5 × 0), 3 not applicable, 2 unanswered
        ("work", "healing"): [1] * 10 + [0] * 5 + ["na"] * 3 + [None] * 2,
        # n = 2, 18 not applicable
        ("work", "inner_peace"): [1, 1] + ["na"] * 18,
        # n = 17 (all +1), 3 unanswered: a data-completeness count, published even when small
        ("faith", "healing"): [1] * 17 + [None] * 3,
        ("faith", "inner_peace"): [1] * 10 + [-1] * 10,
    }
    rows = [
        (person, factor, axis, None if value == "na" else value, value == "na")
        for (factor, axis), values in cells.items()
        for person, value in zip(people, values, strict=True)
    ]
    return pd.DataFrame(rows, columns=["participant", "factor", "axis", "effect", "not_applicable"])


def cohort_report(n: int = 76) -> dict:
    return build_cohort_report(
        sample_profile(participants(n)),
        axis_summary(scores(), axis_order=["healing", "inner_peace"]),
        factor_axis_map(effects(), axis_order=["healing", "inner_peace"]),
        {"factors": {"family": "Family acceptance or blame"}},
        {"organisation": "Demo organisation", "generated_at": "2024-05-01T12:00:00+00:00"},
    )


def breakdown(report: dict, key: str) -> dict:
    return {row["category"]: row["count"] for row in report["sample"]["breakdowns"][key]}


def cell(report: dict, factor: str, axis: str) -> dict:
    rows = report["factor_axis_map"]
    return next(r for r in rows if (r["factor"], r["axis"]) == (factor, axis))


def axis_row(report: dict, axis: str) -> dict:
    return next(r for r in report["axis_scores"] if r["axis"] == axis)


def test_report_fixture_is_what_the_tests_assume() -> None:
    data = cohort_report()
    assert breakdown(data, "destination") == {
        "Thailand": 28, "China": 24, "Myanmar": 15, "Singapore": 4, None: 5
    }  # fmt: skip
    assert breakdown(data, "exploitation_types") == {"labour": 73, "forced_marriage": 22, "sex": 3}
    assert breakdown(data, "region") == {"north": 40, "south": 35, None: 1}
    assert axis_row(data, "inner_peace")["n"] == 3 and axis_row(data, "healing")["n"] == 6
    assert cell(data, "family", "healing")["mean_effect"] == pytest.approx(0.85)
    assert (cell(data, "work", "healing")["n"], cell(data, "work", "healing")["n_unanswered"]) == (
        15,
        2,
    )


def test_internal_report_is_unchanged_but_says_so() -> None:
    original = cohort_report()
    protected = protect_cohort_report(original, Audience.INTERNAL)
    disclosure = protected["meta"].pop("disclosure")
    assert protected == original
    assert disclosure["audience"] == "internal" and disclosure["threshold"] is None
    assert disclosure["suppressed_cells"] == 0


def test_viewer_report_breakdowns() -> None:
    protected = protect_cohort_report(cohort_report(), "viewer")
    # Singapore 4 by the rule; "not given" 5, the smallest other cell, as its complement.
    assert breakdown(protected, "destination") == {
        "Thailand": 28, "China": 24, "Myanmar": 15, "Singapore": None, None: None
    }  # fmt: skip
    # Multi-select: "sex" 3 alone, no complement.
    assert breakdown(protected, "exploitation_types") == {
        "labour": 73,
        "forced_marriage": 22,
        "sex": None,
    }
    # Region: "not given" 1 by the rule, south 35 as complement.
    assert breakdown(protected, "region") == {"north": 40, "south": None, None: None}
    assert breakdown(protected, "status") == {
        "returned": 65,
        "just_escaped": 6,
        "settled_elsewhere": 5,
    }
    singapore = protected["sample"]["breakdowns"]["destination"][3]
    assert singapore["percent"] is None and singapore["suppressed"] is True


def test_viewer_report_ages_scores_and_factor_map() -> None:
    protected = protect_cohort_report(cohort_report(), "viewer")
    age = protected["sample"]["age"]
    assert (age["n"], age["minimum"], age["maximum"], age["mean"]) == (76, None, None, 25.83)
    assert age["lower_band"] is None  # no ages given, no bands
    peace = axis_row(protected, "inner_peace")  # n = 3 < 5
    assert (peace["n"], peace["n_missing"]) == (3, 0)
    assert all(peace[k] is None for k in ("mean", "sd", "median", "minimum", "maximum"))
    healing = axis_row(protected, "healing")  # n = 6: mean and median of 50…100 are 75
    assert (healing["mean"], healing["median"]) == (75.0, 75.0)
    assert healing["minimum"] is None and healing["maximum"] is None
    # family × healing: 18 / 1 / 1 → both 1s by the rule, which add up to 2 = two cells of at
    # least 1, so "empowering" is hidden as well. The mean over 20 people stays.
    family = cell(protected, "family", "healing")
    assert family["n"] == 20 and family["mean_effect"] == pytest.approx(0.85)
    assert [family[k] for k in ("share_empowering", "share_disempowering", "share_no_effect")] == [
        None,
        None,
        None,
    ]
    peace_family = cell(protected, "family", "inner_peace")  # 12 / 8 / 0: nothing small
    assert peace_family["share_empowering"] == pytest.approx(0.6)
    assert peace_family["share_no_effect"] == 0.0
    # work × healing: 3 not applicable by the rule, 2 unanswered as complement.
    work = cell(protected, "work", "healing")
    assert (work["n"], work["n_not_applicable"], work["n_unanswered"]) == (15, None, None)
    assert work["mean_effect"] == pytest.approx(10 / 15)
    # work × inner peace: n = 2 by the rule, 18 not applicable as complement; no statistics.
    small = cell(protected, "work", "inner_peace")
    assert (small["n"], small["n_not_applicable"], small["mean_effect"]) == (None, None, None)
    assert small["share_empowering"] is None
    faith = cell(protected, "faith", "healing")
    assert (faith["n"], faith["n_unanswered"], faith["share_empowering"]) == (17, 3, 1.0)


def test_disclosure_metadata() -> None:
    disclosure = protect_cohort_report(cohort_report(), "viewer")["meta"]["disclosure"]
    # breakdowns 2 + 1 + 2, axis scores 1, factor cells 3
    assert disclosure["audience"] == "viewer" and disclosure["threshold"] == 5
    assert disclosure["suppressed_cells"] == 9
    assert "fewer than 5 people" in disclosure["note"]


def test_public_report_uses_eleven() -> None:
    protected = protect_cohort_report(cohort_report(), "public", threshold=5)
    assert protected["meta"]["disclosure"]["threshold"] == 11
    assert breakdown(protected, "status") == {
        "returned": 65,
        "just_escaped": None,
        "settled_elsewhere": None,
    }
    assert breakdown(protected, "destination")["Myanmar"] == 15
    assert axis_row(protected, "healing")["mean"] is None  # n = 6 < 11


def test_age_bands_when_the_ages_are_given() -> None:
    ages = participants()["age"].tolist()
    age = protect_cohort_report(cohort_report(), "external", ages=ages)["sample"]["age"]
    assert (age["lower_band"], age["upper_band"]) == ("under 30", "25 or older")
    with pytest.raises(ValueError, match="do not match"):
        protect_cohort_report(cohort_report(), "external", ages=ages[1:])


def test_mean_age_of_fewer_known_ages_than_the_threshold_is_withheld() -> None:
    frame = participants().assign(age=[19, 23, 30] + [None] * 73)
    report = build_cohort_report(
        sample_profile(frame), axis_summary(scores()), None, {}, {"generated_at": "2024-05-01"}
    )
    assert report["sample"]["age"]["mean"] == 24.0
    age = protect_cohort_report(report, "viewer", ages=frame["age"])["sample"]["age"]
    assert (age["n"], age["mean"], age["lower_band"], age["upper_band"]) == (3, None, None, None)


def test_whole_sample_below_the_threshold_withholds_everything() -> None:
    protected = protect_cohort_report(cohort_report(n=4), "viewer")
    assert protected["sample"]["n"] is None
    for rows in protected["sample"]["breakdowns"].values():
        assert rows == [] or [r["label"] for r in rows] == [WITHHELD_LABEL]
    assert set(protected["sample"]["age"].values()) == {None}
    assert all(row["mean"] is None and row["n"] is None for row in protected["axis_scores"])
    assert all(row["mean_effect"] is None for row in protected["factor_axis_map"])
    assert "fewer than 5 participants" in protected["meta"]["disclosure"]["note"]
    html = render_cohort_html(protected)
    assert "Singapore" not in html and "Thailand" not in html
    assert WITHHELD_LABEL in html


def test_protection_copies_and_stays_valid_json() -> None:
    original = cohort_report()
    before = copy.deepcopy(original)
    protected = protect_cohort_report(original, "external")
    assert original == before
    assert json.loads(json.dumps(protected, allow_nan=False)) == protected


def test_a_protected_report_cannot_be_protected_again() -> None:
    once = protect_cohort_report(cohort_report(), "viewer")
    with pytest.raises(ValueError, match="already protected"):
        protect_cohort_report(once, "public")


def test_rendered_protected_report_hides_the_suppressed_numbers() -> None:
    original = render_cohort_html(cohort_report())
    assert 'Singapore</th><td class="num">4</td>' in original
    assert "Age at interview 15–49" in original
    html = render_cohort_html(protect_cohort_report(cohort_report(), "viewer"))
    assert f'Singapore</th><td class="num">{DASH}</td><td class="num">{DASH}</td>' in html
    assert 'Singapore</th><td class="num">4</td>' not in html
    assert "5.26" not in html  # Singapore's percentage, 4 / 76
    assert "15–49" not in html and "Age at interview:" in html
    chart = re.sub(r"<table.*?</table>", "", html, flags=re.DOTALL)
    assert "Thailand" in chart and "Singapore" not in chart  # no bar for a hidden count
    peace = (
        '<th scope="row">inner_peace</th>\n'
        '        <td class="num">3</td><td class="num">0</td>\n'
        f'        <td class="num">{DASH}</td><td class="num">{DASH}</td>\n'
    )
    assert peace in html  # n = 3: mean and SD hidden
    assert '<td class="num">50.0</td>' not in html  # the mean of 20, 40 and 90
