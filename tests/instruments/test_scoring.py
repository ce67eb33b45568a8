"""Scoring against hand-worked numbers.

Every expected value below is worked out by hand in the comment beside it, never taken from the
code's own output.
"""

from __future__ import annotations

import json

import pytest

from empower.instruments import (
    NOT_APPLICABLE,
    PREFER_NOT_TO_SAY,
    AnswerError,
    get_instrument,
    load_instrument_text,
    score,
    validate_answers,
)

# Two axes. Healing has two subscales: "five" (a1–a5, a3 reversed) and "six" (b1–b6).
# Purpose has "other" (p1–p5) on a scale without "prefer not to say".
SCALES_YAML = """
id: tiny-scales
version: "1.3"
kind: scales
title: {en: Tiny scales}
languages: [en]
axes:
  - {id: healing, label: {en: Healing}}
  - {id: purpose, label: {en: Purpose}}
scales:
  - id: agree5
    options:
      - {value: 1, label: {en: Strongly disagree}}
      - {value: 2, label: {en: Disagree}}
      - {value: 3, label: {en: Neither}}
      - {value: 4, label: {en: Agree}}
      - {value: 5, label: {en: Strongly agree}}
  - id: strict5
    prefer_not_to_say: false
    options:
      - {value: 1, label: {en: Strongly disagree}}
      - {value: 5, label: {en: Strongly agree}}
items:
  - {id: a1, kind: rating, scale: agree5, text: {en: A1}}
  - {id: a2, kind: rating, scale: agree5, text: {en: A2}}
  - {id: a3, kind: rating, scale: agree5, text: {en: A3}, reverse: true}
  - {id: a4, kind: rating, scale: agree5, text: {en: A4}}
  - {id: a5, kind: rating, scale: agree5, text: {en: A5}}
  - {id: b1, kind: rating, scale: agree5, text: {en: B1}}
  - {id: b2, kind: rating, scale: agree5, text: {en: B2}}
  - {id: b3, kind: rating, scale: agree5, text: {en: B3}}
  - {id: b4, kind: rating, scale: agree5, text: {en: B4}}
  - {id: b5, kind: rating, scale: agree5, text: {en: B5}}
  - {id: b6, kind: rating, scale: agree5, text: {en: B6}}
  - {id: p1, kind: rating, scale: strict5, text: {en: P1}}
  - {id: p2, kind: rating, scale: strict5, text: {en: P2}}
  - {id: p3, kind: rating, scale: strict5, text: {en: P3}}
  - {id: p4, kind: rating, scale: strict5, text: {en: P4}}
  - {id: p5, kind: rating, scale: strict5, text: {en: P5}}
  - {id: note, kind: text, text: {en: "Anything else?"}, required: true}
subscales:
  - {id: five, label: {en: Five}, axis: healing, items: [a1, a2, a3, a4, a5]}
  - {id: six, label: {en: Six}, axis: healing, items: [b1, b2, b3, b4, b5, b6]}
  - {id: other, label: {en: Other}, axis: purpose, items: [p1, p2, p3, p4, p5]}
scoring: {method: subscale_mean}
"""

LADDER_YAML = """
id: tiny-interview
version: "2.4"
kind: four_axis_interview
title: {en: Tiny interview}
languages: [en]
axes:
  - {id: healing, label: {en: Healing}}
  - {id: purpose, label: {en: Purpose}}
factors:
  - {id: family, label: {en: Family}}
  - {id: rescue, label: {en: Rescue}}
scales:
  - id: ladder
    options:
      - {value: 1, label: {en: not at all}}
      - {value: 2, label: {en: "2"}}
      - {value: 3, label: {en: "3"}}
      - {value: 4, label: {en: "4"}}
      - {value: 5, label: {en: "5"}}
      - {value: 6, label: {en: "6"}}
      - {value: 7, label: {en: "7"}}
      - {value: 8, label: {en: "8"}}
      - {value: 9, label: {en: "9"}}
      - {value: 10, label: {en: completely}}
  - id: effect
    options:
      - {value: -2, label: {en: strongly disempowering}}
      - {value: -1, label: {en: somewhat disempowering}}
      - {value: 0, label: {en: no effect}}
      - {value: 1, label: {en: somewhat empowering}}
      - {value: 2, label: {en: strongly empowering}}
      - {value: not_applicable, label: {en: does not apply}}
items:
  - {id: rating__healing, kind: rating, scale: ladder, axis: healing, text: {en: H}, required: true}
  - {id: rating__purpose, kind: rating, scale: ladder, axis: purpose, text: {en: P}}
factor_effects:
  scale: effect
  text: {en: "How did {factor} affect {axis}?"}
factor_notes:
  text: {en: "About {factor}"}
services:
  effect_scale: effect
  service_types:
    - {value: shelter, label: {en: Shelter}}
    - {value: legal_aid, label: {en: Legal aid}}
  provider_types:
    - {value: ngo_cso, label: {en: NGO}}
    - {value: police, label: {en: Police}}
  conditions:
    - {value: repeated_storytelling, label: {en: Repeated story-telling}}
    - {value: photos_without_consent, label: {en: Photos without consent}}
scoring: {method: ladder}
"""


@pytest.fixture(scope="module")
def scales():
    return load_instrument_text(SCALES_YAML, "tiny-scales")


@pytest.fixture(scope="module")
def interview():
    return load_instrument_text(LADDER_YAML, "tiny-interview")


# --------------------------------------------------------------------------- subscales


def test_worked_example_four_of_five_answered(scales):
    # a1..a5 = 4, 5, 2, 3, skipped; a3 is reversed: 1 + 5 − 2 = 4.
    # answered 4 of 5 = 80 % → scored; mean = (4 + 5 + 4 + 3) / 4 = 16 / 4 = 4.0
    # score = 100 · (4.0 − 1) / (5 − 1) = 75.0
    result = score(scales, {"a1": 4, "a2": 5, "a3": 2, "a4": 3, "a5": None})
    five = result.subscale_scores["five"]
    assert (five.answered, five.items) == (4, 5)
    assert five.mean == 4.0
    assert five.score == 75.0
    assert five.missing_reason is None


def test_three_of_five_is_missing_with_reason(scales):
    # 3 of 5 = 60 % < 80 % → no score.
    five = score(scales, {"a1": 4, "a2": 5, "a3": 2}).subscale_scores["five"]
    assert five.score is None and five.mean is None
    assert five.answered == 3
    assert five.missing_reason == "3 of 5 items answered; at least 80 % needed"


def test_four_of_six_is_missing(scales):
    # 4 of 6 = 66.7 % < 80 %.
    six = score(scales, {"b1": 5, "b2": 5, "b3": 5, "b4": 5}).subscale_scores["six"]
    assert six.score is None
    assert six.missing_reason == "4 of 6 items answered; at least 80 % needed"


def test_five_of_six_is_scored(scales):
    # 5 of 6 = 83.3 % ≥ 80 %; mean = (1 + 2 + 3 + 4 + 5) / 5 = 3; score = 100 · 2 / 4 = 50.
    six = score(scales, {"b1": 1, "b2": 2, "b3": 3, "b4": 4, "b5": 5}).subscale_scores["six"]
    assert six.mean == 3.0
    assert six.score == 50.0


def test_exactly_eighty_percent_passes_at_the_bottom_of_the_scale(scales):
    # 4 of 5 is exactly the threshold; all answers 1 → mean 1 → score 0 (a real score, not None).
    five = score(scales, {"a1": 1, "a2": 1, "a3": 5, "a4": 1}).subscale_scores["five"]
    assert five.score == 0.0


def many_items_instrument(count: int, min_answered: float):
    """One healing subscale of ``count`` items on agree5 (plus one purpose item)."""
    ids = [f"i{n}" for n in range(count)]
    items = "".join(
        f"  - {{id: {i}, kind: rating, scale: agree5, text: {{en: {i}}}}}\n" for i in ids
    )
    text = (
        SCALES_YAML.split("items:\n")[0]
        + "items:\n"
        + items
        + "  - {id: p1, kind: rating, scale: agree5, text: {en: P}}\n"
        + "subscales:\n"
        + f"  - {{id: many, label: {{en: Many}}, axis: healing, items: [{', '.join(ids)}],"
        + f" min_answered: {min_answered}}}\n"
        + "  - {id: p, label: {en: P}, axis: purpose, items: [p1]}\n"
        + "scoring: {method: subscale_mean}\n"
    )
    return load_instrument_text(text, "many"), ids


@pytest.mark.parametrize(
    ("count", "share", "needed"),
    [
        # share · count is a whole number, but the float product lands just above it:
        (25, 0.28, 7),  # 0.28 · 25 = 7.000000000000001
        (50, 0.14, 7),  # 0.14 · 50 = 7.000000000000001
        (100, 0.55, 55),  # 0.55 · 100 = 55.00000000000001
        (5, 0.8, 4),  # the everyday case: 4 of 5
    ],
)
def test_threshold_is_exact_where_floats_are_not(count, share, needed):
    # Exactly `needed` answers meet the threshold; a naive "answered >= share · items" in
    # floating point would wrongly refuse the first three cases.
    # All answers 2 → mean 2 → score 100 · (2 − 1) / 4 = 25.
    instrument, ids = many_items_instrument(count, share)
    many = score(instrument, {i: 2 for i in ids[:needed]}).subscale_scores["many"]
    assert many.answered == needed
    assert many.score == 25.0
    # and one answer fewer is refused
    fewer = score(instrument, {i: 2 for i in ids[: needed - 1]}).subscale_scores["many"]
    assert fewer.score is None


def test_prefer_not_to_say_counts_as_unanswered(scales):
    # 3 numbers + prefer-not-to-say + skipped = 3 of 5 answered → missing.
    answers = {"a1": 4, "a2": 4, "a3": 2, "a4": PREFER_NOT_TO_SAY}
    five = score(scales, answers).subscale_scores["five"]
    assert five.answered == 3
    assert five.score is None
    # With a fourth number it is 4 of 5: mean (4 + 4 + 4 + 4) / 4 = 4 → 75.
    five = score(scales, {**answers, "a5": 4}).subscale_scores["five"]
    assert five.answered == 4
    assert five.score == 75.0


@pytest.mark.parametrize(
    ("a3", "keyed", "mean", "expected"),
    [
        # the other four answers are 3; mean = (4 · 3 + keyed) / 5; score = 100 · (mean − 1) / 4
        (1, 5, 3.4, 60.0),
        (2, 4, 3.2, 55.0),
        (3, 3, 3.0, 50.0),
        (4, 2, 2.8, 45.0),
        (5, 1, 2.6, 40.0),
    ],
)
def test_reverse_keying_mirrors_the_scale(scales, a3, keyed, mean, expected):
    answers = {"a1": 3, "a2": 3, "a3": a3, "a4": 3, "a5": 3}
    five = score(scales, answers).subscale_scores["five"]
    assert five.mean == pytest.approx(mean)
    assert five.score == pytest.approx(expected)
    assert keyed == 1 + 5 - a3


def test_axis_is_the_mean_of_its_subscales(scales):
    # five: 75 (worked example above); six: 50 (five of six answered, mean 3).
    # healing = (75 + 50) / 2 = 62.5
    answers = {"a1": 4, "a2": 5, "a3": 2, "a4": 3, "b1": 1, "b2": 2, "b3": 3, "b4": 4, "b5": 5}
    healing = score(scales, answers).axis_scores["healing"]
    assert healing.score == 62.5
    assert healing.source == "subscales"


def test_axis_uses_the_subscales_that_have_a_score(scales):
    # six has only 1 of 6 answers; healing = five's 75 alone.
    answers = {"a1": 4, "a2": 5, "a3": 2, "a4": 3, "b1": 5}
    result = score(scales, answers)
    assert result.subscale_scores["six"].score is None
    assert result.axis_scores["healing"].score == 75.0


def test_axis_without_any_subscale_score_is_missing_with_reasons(scales):
    purpose = score(scales, {"p1": 5}).axis_scores["purpose"]
    assert purpose.score is None
    assert "other: 1 of 5 items answered; at least 80 % needed" in purpose.missing_reason


def test_every_axis_score_carries_the_instrument_version(scales):
    result = score(scales, {})
    assert result.instrument_key == "tiny-scales@1.3"
    for axis in result.axis_scores.values():
        assert (axis.instrument_id, axis.instrument_version) == ("tiny-scales", "1.3")


# --------------------------------------------------------------------------- ladder


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        (1, 0.0),  # 100 · (1 − 1) / 9
        (10, 100.0),  # 100 · 9 / 9
        (7, 66.67),  # 100 · 6 / 9 = 66.666…
        (4, 33.33),  # 100 · 3 / 9 = 33.333…
    ],
)
def test_ladder_rescales_to_0_100(interview, rating, expected):
    healing = score(interview, {"rating__healing": rating}).axis_scores["healing"]
    assert healing.score == pytest.approx(expected, abs=0.005)
    assert healing.source == "ladder"
    assert healing.missing_reason is None


def test_ladder_missing_reasons(interview):
    result = score(interview, {"rating__healing": PREFER_NOT_TO_SAY})
    assert result.axis_scores["healing"].score is None
    assert result.axis_scores["healing"].missing_reason == "prefer not to say"
    assert result.axis_scores["purpose"].score is None
    assert result.axis_scores["purpose"].missing_reason == "not answered"


def test_ladder_axis_carries_the_instrument_version(interview):
    healing = score(interview, {"rating__healing": 5}).axis_scores["healing"]
    assert (healing.instrument_id, healing.instrument_version) == ("tiny-interview", "2.4")


# --------------------------------------------------------------------------- effects, services


def test_factor_effects(interview):
    answers = {
        "effect__family__healing": -2,
        "effect__family__purpose": NOT_APPLICABLE,
        "effect__rescue__healing": PREFER_NOT_TO_SAY,
    }
    effects = {(e.factor, e.axis): e for e in score(interview, answers).factor_effects}
    assert len(effects) == 4  # 2 factors × 2 axes
    assert effects["family", "healing"].effect == -2
    assert not effects["family", "healing"].not_applicable
    na = effects["family", "purpose"]
    assert (na.effect, na.not_applicable, na.declined) == (None, True, False)
    declined = effects["rescue", "healing"]
    assert (declined.effect, declined.not_applicable, declined.declined) == (None, False, True)
    skipped = effects["rescue", "purpose"]
    assert (skipped.effect, skipped.not_applicable, skipped.declined) == (None, False, False)


def test_services_are_recorded(interview):
    services = [
        {
            "service_type": "legal_aid",
            "provider_type": "police",
            "respected_wishes": False,
            "conditions": ["repeated_storytelling"],
            "effects": {"healing": -1, "purpose": NOT_APPLICABLE},
        }
    ]
    (record,) = score(interview, {}, services).services
    assert record.service_type == "legal_aid"
    assert record.provider_type == "police"
    assert record.respected_wishes is False
    assert record.conditions == ("repeated_storytelling",)
    assert record.effects == {"healing": -1, "purpose": None}


def test_to_dict_is_plain_json(interview):
    services = [{"service_type": "shelter", "provider_type": "ngo_cso", "conditions": []}]
    data = score(interview, {"rating__healing": 10}, services).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["axis_scores"]["healing"]["score"] == 100.0
    assert data["services"][0]["conditions"] == []
    assert isinstance(data["factor_effects"], list)


# --------------------------------------------------------------------------- validation


def fields(problems):
    return {p.field for p in problems}


def test_validate_accepts_good_answers(scales):
    answers = {"a1": 1, "a3": PREFER_NOT_TO_SAY, "p1": 5, "note": "fine"}
    assert validate_answers(scales, answers) == []


@pytest.mark.parametrize("value", [0, 6, 3.0, "4", True])
def test_validate_catches_values_off_the_scale(scales, value):
    problems = validate_answers(scales, {"a1": value, "note": "x"})
    assert fields(problems) == {"a1"}
    assert "'a1'" in problems[0].message


def test_validate_catches_unknown_items(scales):
    problems = validate_answers(scales, {"zz": 3, "note": "x"})
    assert fields(problems) == {"zz"}
    assert "not a question" in problems[0].message


def test_validate_catches_not_applicable_outside_effects(scales):
    problems = validate_answers(scales, {"a1": NOT_APPLICABLE, "note": "x"})
    assert "not applicable" in problems[0].message


def test_validate_catches_prefer_not_to_say_where_not_offered(scales):
    problems = validate_answers(scales, {"p1": PREFER_NOT_TO_SAY, "note": "x"})
    assert fields(problems) == {"p1"}
    assert "prefer not to say" in problems[0].message


def test_validate_catches_missing_required_items(scales, interview):
    assert fields(validate_answers(scales, {})) == {"note"}
    assert fields(validate_answers(interview, {})) == {"rating__healing"}
    # "prefer not to say" is an answer: the person's choice is respected.
    assert validate_answers(interview, {"rating__healing": PREFER_NOT_TO_SAY}) == []


def test_validate_catches_bad_effect_values(interview):
    problems = validate_answers(
        interview, {"rating__healing": 5, "effect__family__healing": 3, "note__family": 4}
    )
    assert fields(problems) == {"effect__family__healing", "note__family"}


def test_validate_services(interview):
    services = [
        {
            "service_type": "spa",
            "provider_type": "aliens",
            "respected_wishes": "yes",
            "conditions": ["too_many_forms"],
            "effects": {"healing": 3, "sleep": 1, "purpose": NOT_APPLICABLE},
            "colour": "blue",
        },
        {"service_type": "shelter"},
    ]
    problems = validate_answers(interview, {"rating__healing": 5}, services)
    assert fields(problems) == {
        "services[0].service_type",
        "services[0].provider_type",
        "services[0].respected_wishes",
        "services[0].conditions[0]",
        "services[0].effects.healing",
        "services[0].effects.sleep",
        "services[0].colour",
        "services[1].provider_type",
    }


def test_services_on_an_instrument_without_them(scales):
    problems = validate_answers(scales, {"note": "x"}, [{"service_type": "shelter"}])
    assert fields(problems) == {"services"}


def test_score_refuses_bad_values_but_not_missing_required(scales):
    with pytest.raises(AnswerError) as error:
        score(scales, {"a1": 9})
    assert fields(error.value.problems) == {"a1"}
    score(scales, {"a1": 3})  # "note" is required but empty: still scored


# --------------------------------------------------------------------------- library


def test_library_scales_worked_example():
    # sc1..sc6 = 5, 4, 1 (reversed → 5), 4, 3, 2 (reversed → 4)
    # mean = (5 + 4 + 5 + 4 + 3 + 4) / 6 = 25 / 6 = 4.1667
    # score = 100 · (25/6 − 1) / 4 = 100 · 19 / 24 = 79.1667
    instrument = get_instrument("empowerment-scales", "1.0")
    answers = {"sc1": 5, "sc2": 4, "sc3": 1, "sc4": 4, "sc5": 3, "sc6": 2}
    result = score(instrument, answers)
    sub = result.subscale_scores["self_capacity"]
    assert sub.mean == pytest.approx(4.1667, abs=1e-4)
    assert sub.score == pytest.approx(79.1667, abs=1e-4)
    assert result.axis_scores["self_capacity"].score == pytest.approx(79.1667, abs=1e-4)
    assert result.axis_scores["healing"].score is None


def test_library_interview_worked_example():
    # purpose 4 → 100 · 3 / 9 = 33.33; inner peace 10 → 100.
    instrument = get_instrument("empowerment-interview", "2.0")
    answers = {
        "rating__purpose": 4,
        "rating__inner_peace": 10,
        "effect__legal_process__inner_peace": -1,
    }
    result = score(instrument, answers)
    assert result.axis_scores["purpose"].score == pytest.approx(33.33, abs=0.005)
    assert result.axis_scores["inner_peace"].score == 100.0
    legal = [e for e in result.factor_effects if e.factor == "legal_process"]
    assert [e.effect for e in legal if e.axis == "inner_peace"] == [-1]
