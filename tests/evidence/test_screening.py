"""Decision scales, conflicts, resolution rules and full-text decisions."""

from __future__ import annotations

import pytest

from empower.evidence.screening import (
    DEFAULT_EXCLUSION_REASONS,
    INCLUDE_MAYBE_EXCLUDE,
    RANK_0_4,
    DecisionScale,
    FullTextDecision,
    ScaleError,
    ScaleOption,
    conflicts,
    full_text_votes,
    resolve,
    scale_from_dict,
)


def test_rank_scale_is_the_reviews():
    assert RANK_0_4.values == (1, 2, 3, 4, 0)
    assert RANK_0_4.ordinal
    # Only ranks 1–2 went on to full text in the review.
    assert [RANK_0_4.option(v).include for v in (1, 2, 3, 4, 0)] == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_inclusiveness_is_relevance_not_the_number():
    assert RANK_0_4.most_inclusive([0, 4]) == 4
    assert RANK_0_4.most_inclusive([3, 1, 2]) == 1
    assert RANK_0_4.most_inclusive([0, 3]) == 3
    assert INCLUDE_MAYBE_EXCLUDE.most_inclusive(["exclude", "maybe"]) == "maybe"


def test_yes_is_not_rank_one():
    with pytest.raises(ValueError, match="not on the scale"):
        RANK_0_4.validate(True)
    with pytest.raises(ValueError, match="not on the scale"):
        RANK_0_4.validate("1")


def test_scale_round_trips_through_a_dict():
    for scale in (RANK_0_4, INCLUDE_MAYBE_EXCLUDE):
        assert scale_from_dict(scale.to_dict()) == scale


def custom(**changes):
    data = {
        "id": "pico",
        "label": "PICO fit",
        "ordinal": True,
        "options": [
            {"value": "fits", "label": "Fits", "include": True},
            {"value": "unsure", "label": "Unsure", "include": None},
            {"value": "no", "label": "Does not fit", "include": False},
        ],
        "inclusiveness": ["fits", "unsure", "no"],
    }
    data.update(changes)
    return data


def test_custom_scale():
    scale = scale_from_dict(custom())
    assert scale.option("unsure").include is None
    assert scale.most_inclusive(["no", "unsure"]) == "unsure"
    no_order = custom()
    del no_order["inclusiveness"]
    assert scale_from_dict(no_order).inclusiveness == ("fits", "unsure", "no")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": ""}, "id"),
        ({"label": None}, "label"),
        ({"ordinal": "yes"}, "ordinal"),
        ({"options": "fits"}, "options"),
        ({"options": [{"value": "a", "label": "A", "include": True}]}, "options"),
        ({"options": [{"value": "a", "label": "A", "include": True}, "b"]}, "options[1]"),
        (
            {
                "options": [
                    {"value": "a", "label": "A", "include": True},
                    {"value": "a", "label": "B", "include": False},
                ]
            },
            "options",
        ),
        (
            {
                "options": [
                    {"value": "a", "label": "A", "include": "yes"},
                    {"value": "b", "label": "B", "include": False},
                ]
            },
            "options[0].include",
        ),
        (
            {
                "options": [
                    {"value": "a", "label": "A", "include": True},
                    {"value": True, "label": "B", "include": False},
                ]
            },
            "options[1].value",
        ),
        (
            {
                "options": [
                    {"value": "a", "label": "", "include": True},
                    {"value": "b", "label": "B", "include": False},
                ]
            },
            "options[0].label",
        ),
        ({"inclusiveness": ["fits", "no"]}, "inclusiveness"),
        ({"inclusiveness": ["fits", "unsure", "no", "other"]}, "inclusiveness"),
        ({"inclusiveness": "fits"}, "inclusiveness"),
    ],
)
def test_custom_scale_errors_name_the_field(changes, field):
    with pytest.raises(ScaleError) as caught:
        scale_from_dict(custom(**changes))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}:")


def test_conflicts_lists_only_disagreements():
    decisions = {
        "r1": {"ana": 1, "ben": 1},
        "r2": {"ana": 1, "ben": 3},
        "r3": {"ana": 0},
        "r4": {"ana": 2, "ben": 2, "cai": 4},
    }
    found = conflicts(decisions)
    assert [c.record_id for c in found] == ["r2", "r4"]
    assert found[0].votes == {"ana": 1, "ben": 3}


def test_agreeing_votes_resolve_under_every_rule():
    for rule in ("discussion", "third_reviewer", "most_inclusive"):
        r = resolve({"ana": 2, "ben": 2}, rule, RANK_0_4)
        assert (r.value, r.needs, r.resolved) == (2, None, True)


def test_most_inclusive_is_the_reviews_rule():
    assert resolve({"ana": 0, "ben": 4}, "most_inclusive", RANK_0_4).value == 4
    assert resolve({"ana": 3, "ben": 1}, "most_inclusive", RANK_0_4).value == 1
    r = resolve(["exclude", "maybe"], "most_inclusive", INCLUDE_MAYBE_EXCLUDE)
    assert (r.value, r.rule, r.needs) == ("maybe", "most_inclusive", None)


def test_discussion_stays_open_until_agreed():
    open_ = resolve({"ana": 0, "ben": 2}, "discussion", RANK_0_4)
    assert (open_.value, open_.needs, open_.resolved) == (None, "discussion", False)
    done = resolve({"ana": 0, "ben": 2}, "discussion", RANK_0_4, agreed=2)
    assert (done.value, done.needs) == (2, None)


def test_third_reviewer():
    waiting = resolve({"ana": 0, "ben": 2}, "third_reviewer", RANK_0_4)
    assert (waiting.value, waiting.needs) == (None, "third_reviewer")
    majority = resolve({"ana": 0, "ben": 2}, "third_reviewer", RANK_0_4, third=2)
    assert (majority.value, majority.needs) == (2, None)
    tied = resolve({"ana": 0, "ben": 2}, "third_reviewer", RANK_0_4, third=4)
    assert (tied.value, tied.needs) == (None, "discussion")
    settled = resolve({"ana": 0, "ben": 2}, "third_reviewer", RANK_0_4, third=4, agreed=4)
    assert (settled.value, settled.needs) == (4, None)


def test_resolve_rejects_bad_input():
    with pytest.raises(ValueError, match="rule"):
        resolve({"ana": 1, "ben": 2}, "coin_toss", RANK_0_4)
    with pytest.raises(ValueError, match="not on the scale"):
        resolve({"ana": 1, "ben": 9}, "most_inclusive", RANK_0_4)
    with pytest.raises(ValueError, match="not on the scale"):
        resolve({"ana": 1, "ben": 2}, "third_reviewer", RANK_0_4, third="maybe")
    with pytest.raises(ValueError, match="at least one"):
        resolve({}, "discussion", RANK_0_4)


def test_full_text_decision():
    kept = FullTextDecision("r1", "ana", True, None, "Small sample; clear methods.")
    assert kept.include and kept.exclusion_reason is None
    dropped = FullTextDecision("r2", "ana", False, "no active groups studied")
    assert dropped.exclusion_reason in DEFAULT_EXCLUSION_REASONS
    assert "not retrieved" in DEFAULT_EXCLUSION_REASONS


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"include": False, "exclusion_reason": None}, "exclusion_reason"),
        ({"include": False, "exclusion_reason": "too long"}, "exclusion_reason"),
        ({"include": True, "exclusion_reason": "poor quality"}, "exclusion_reason"),
        ({"include": "yes"}, "include"),
        ({"include": True, "quality_note": None}, "quality_note"),
    ],
)
def test_full_text_decision_errors(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        FullTextDecision("r1", "ana", **kwargs)


def test_full_text_reasons_from_the_project():
    reasons = ["wrong population", "wrong outcome"]
    assert FullTextDecision("r1", "ana", False, "wrong outcome", reasons=reasons)
    with pytest.raises(ValueError, match="not on the project's list"):
        FullTextDecision("r1", "ana", False, "poor quality", reasons=reasons)


def test_full_text_votes_feed_conflicts():
    votes = full_text_votes(
        [
            FullTextDecision("r1", "ana", True),
            FullTextDecision("r1", "ben", False, "poor quality", "No sampling frame."),
            FullTextDecision("r2", "ana", True),
            FullTextDecision("r2", "ben", True),
        ]
    )
    assert votes == {
        "r1": {"ana": "include", "ben": "exclude"},
        "r2": {"ana": "include", "ben": "include"},
    }
    assert [c.record_id for c in conflicts(votes)] == ["r1"]
    with pytest.raises(ValueError, match="twice"):
        full_text_votes([FullTextDecision("r1", "ana", True)] * 2)


def test_scale_definition_checks():
    with pytest.raises(ScaleError, match="inclusiveness"):
        DecisionScale(
            "x", "X", (ScaleOption("a", "A", True), ScaleOption("b", "B", False)), False, ("a",)
        )
