"""Loading instruments: every broken file is refused with a problem naming the right field."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from empower.instruments import (
    Instrument,
    InstrumentError,
    Problem,
    dump_instrument,
    library,
    load_instrument,
    load_instrument_text,
)

BASE_YAML = """
id: tiny
version: "1.0"
kind: four_axis_interview
title: {en: Tiny, bn: ছোট}
languages: [en, bn]
axes:
  - {id: healing, label: {en: Healing, bn: আরোগ্য}}
  - {id: purpose, label: {en: Purpose, bn: উদ্দেশ্য}}
factors:
  - {id: family, label: {en: Family, bn: পরিবার}}
  - {id: rescue, label: {en: Rescue}}
scales:
  - id: ladder
    options:
      - {value: 1, label: {en: Low, bn: কম}}
      - {value: 2, label: {en: Middle, bn: মাঝামাঝি}}
      - {value: 3, label: {en: High, bn: বেশি}}
  - id: effect
    options:
      - {value: -1, label: {en: Weaker, bn: দুর্বল}}
      - {value: 0, label: {en: None, bn: কিছু না}}
      - {value: 1, label: {en: Stronger, bn: শক্ত}}
      - {value: not_applicable, label: {en: Does not apply, bn: প্রযোজ্য নয়}}
items:
  - {id: rating__healing, kind: rating, scale: ladder, axis: healing, text: {en: H, bn: হ}}
  - {id: rating__purpose, kind: rating, scale: ladder, axis: purpose, text: {en: P, bn: প}}
  - {id: s1, kind: rating, scale: ladder, text: {en: S1}}
  - {id: s2, kind: rating, scale: ladder, text: {en: S2}, reverse: true}
subscales:
  - {id: sub, label: {en: Sub}, axis: healing, items: [s1, s2]}
factor_effects:
  scale: effect
  text: {en: "{factor} and {axis}", bn: "{factor} ও {axis}"}
factor_notes:
  text: {en: "About {factor}"}
services:
  effect_scale: effect
  service_types: [{value: shelter, label: {en: Shelter}}]
  provider_types: [{value: ngo_cso, label: {en: NGO}}]
  conditions: [{value: none, label: {en: None of these}}]
scoring: {method: ladder}
"""


def base() -> dict:
    return yaml.safe_load(BASE_YAML)


def problems_of(data: dict | str) -> list[Problem]:
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    with pytest.raises(InstrumentError) as error:
        load_instrument_text(text, "broken.yaml")
    return error.value.problems


def fields(data: dict | str) -> set[str]:
    return {p.field for p in problems_of(data)}


def item(data: dict, item_id: str) -> dict:
    return next(i for i in data["items"] if i["id"] == item_id)


def test_base_loads():
    instrument = load_instrument_text(BASE_YAML)
    assert isinstance(instrument, Instrument)
    assert instrument.key == "tiny@1.0"


# --------------------------------------------------------------------------- broken files


def test_unknown_top_level_key_is_a_typo_not_ignored():
    data = base()
    data["itmes"] = data.pop("items")
    problems = problems_of(data)
    typo = next(p for p in problems if p.field == "itmes")
    assert "did you mean 'items'" in typo.message
    assert "items" in {p.field for p in problems}  # and items itself is now missing


def test_unknown_item_key():
    data = base()
    item(data, "s1")["scael"] = "ladder"
    assert fields(data) == {"items[s1].scael"}


def test_missing_scale_reference():
    data = base()
    item(data, "s1")["scale"] = "ladder10"
    problems = problems_of(data)
    assert [p.field for p in problems] == ["items[s1].scale"]
    assert "ladder10" in problems[0].message


def test_duplicate_item_id():
    data = base()
    data["items"].append(copy.deepcopy(item(data, "s1")))
    problems = problems_of(data)
    assert [p.field for p in problems] == ["items[4].id"]
    assert "'s1'" in problems[0].message


def test_generated_item_clashing_with_an_explicit_one():
    data = base()
    data["items"].append({"id": "note__family", "kind": "text", "text": {"en": "x"}})
    assert "factor_notes.id" in fields(data)


def test_missing_english_text():
    data = base()
    item(data, "rating__healing")["text"] = {"bn": "হ"}
    assert fields(data) == {"items[rating__healing].text.en"}


def test_language_not_listed():
    data = base()
    data["title"]["fr"] = "Petit"
    assert fields(data) == {"title.fr"}


def test_version_must_be_a_quoted_string():
    problems = problems_of(BASE_YAML.replace('version: "1.0"', "version: 1.0"))
    assert [p.field for p in problems] == ["version"]
    assert "quoted" in problems[0].message


def test_version_must_be_numbers_and_dots():
    assert fields(BASE_YAML.replace('version: "1.0"', 'version: "v1"')) == {"version"}


def test_subscale_with_unknown_item():
    data = base()
    data["subscales"][0]["items"].append("s9")
    problems = problems_of(data)
    assert [p.field for p in problems] == ["subscales[sub].items[2]"]
    assert "s9" in problems[0].message


def test_item_in_two_subscales():
    data = base()
    data["subscales"].append(
        {"id": "sub2", "label": {"en": "Two"}, "axis": "purpose", "items": ["s1"]}
    )
    assert fields(data) == {"subscales[sub2].items[0]"}


def test_subscale_with_unknown_axis():
    data = base()
    data["subscales"][0]["axis"] = "joy"
    assert fields(data) == {"subscales[sub].axis"}


def test_item_naming_a_subscale_that_does_not_list_it():
    data = base()
    item(data, "rating__purpose")["subscale"] = "sub"
    assert fields(data) == {"items[rating__purpose].subscale"}


def test_bad_kind():
    data = base()
    data["kind"] = "survey"
    assert fields(data) == {"kind"}


def test_bad_item_kind():
    data = base()
    item(data, "s1")["kind"] = "slider"
    assert fields(data) == {"items[s1].kind"}


def test_bad_id_format():
    data = base()
    data["id"] = "Tiny Instrument"
    assert fields(data) == {"id"}


def test_missing_required_top_level_keys():
    data = base()
    del data["title"], data["scoring"]
    assert fields(data) == {"title", "scoring"}


def test_unknown_axis_and_factor():
    data = base()
    data["items"].append(
        {
            "id": "e1",
            "kind": "effect",
            "scale": "effect",
            "axis": "joy",
            "factor": "luck",
            "text": {"en": "E"},
        }
    )
    assert fields(data) == {"items[e1].axis", "items[e1].factor"}


def test_effect_item_needs_axis_and_factor():
    data = base()
    data["items"].append({"id": "e1", "kind": "effect", "scale": "effect", "text": {"en": "E"}})
    assert fields(data) == {"items[e1].axis", "items[e1].factor"}


def test_reverse_only_on_rating_items():
    data = base()
    data["items"].append({"id": "t1", "kind": "text", "reverse": True, "text": {"en": "T"}})
    assert fields(data) == {"items[t1].reverse"}


def test_text_item_has_no_scale():
    data = base()
    data["items"].append({"id": "t1", "kind": "text", "scale": "ladder", "text": {"en": "T"}})
    assert fields(data) == {"items[t1].scale"}


def test_scale_checks():
    data = base()
    data["scales"][0]["minimum"] = 3
    data["scales"][0]["maximum"] = 1
    data["scales"][1]["options"].append({"value": 0, "label": {"en": "Again"}})
    assert fields(data) == {
        "scales[ladder].minimum",  # minimum not below maximum
        "scales[ladder].options",  # options outside 3 … 1
        "scales[effect].options[4].value",  # repeated value 0
    }


def test_option_outside_explicit_range():
    data = base()
    data["scales"][0]["maximum"] = 2
    problems = problems_of(data)
    assert [p.field for p in problems] == ["scales[ladder].options"]
    assert "3" in problems[0].message


def test_min_answered_must_be_a_share():
    for bad in (0, 1.5, "80%"):
        data = base()
        data["subscales"][0]["min_answered"] = bad
        assert fields(data) == {"subscales[sub].min_answered"}


def test_ladder_needs_one_rating_per_axis():
    data = base()
    item(data, "s1")["axis"] = "healing"
    assert fields(data) == {"scoring.method"}


def test_subscale_mean_needs_a_subscale_per_axis_for_scales():
    data = base()
    data["kind"] = "scales"
    data["scoring"] = {"method": "subscale_mean"}
    problems = problems_of(data)
    assert [p.field for p in problems] == ["scoring.method"]
    assert "purpose" in problems[0].message


def test_interview_needs_services():
    data = base()
    del data["services"]
    assert fields(data) == {"services"}


def test_unknown_placeholder_in_generated_text():
    data = base()
    data["factor_effects"]["text"]["en"] = "{factr} and {axis}"
    assert fields(data) == {"factor_effects.text.en"}


def test_broken_generated_scale_is_reported_once():
    data = base()
    data["factor_effects"]["scale"] = "nope"
    problems = problems_of(data)
    assert [p.field for p in problems] == ["factor_effects.scale"]


def test_duplicate_yaml_key():
    problems = problems_of(BASE_YAML + "kind: scales\n")
    assert problems[0].field == "(yaml)"
    assert "duplicate key 'kind'" in problems[0].message


def test_invalid_yaml_names_the_line():
    problems = problems_of("id: x\nitems: [1, 2\n")
    assert problems[0].field == "(yaml)"
    assert "line " in problems[0].message


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain words"])
def test_not_a_mapping(text):
    assert fields(text) == {""}


def test_several_problems_are_reported_at_once():
    data = base()
    data["itmes"] = []
    data["kind"] = "survey"
    item(data, "s1")["scale"] = "nope"
    del item(data, "s2")["text"]["en"]
    data["subscales"][0]["items"].append("zz")
    text = yaml.safe_dump(data, allow_unicode=True)
    with pytest.raises(InstrumentError) as error:
        load_instrument_text(text, "broken.yaml")
    got = {p.field for p in error.value.problems}
    assert got == {
        "itmes",
        "kind",
        "items[s1].scale",
        "items[s2].text.en",
        "subscales[sub].items[2]",
    }
    lines = str(error.value).splitlines()
    assert lines[0] == "broken.yaml: 5 problems in the instrument"
    assert len(lines) == 6
    assert all(line.startswith("broken.yaml: ") for line in lines)


def test_load_from_a_file_names_the_file(tmp_path: Path):
    path = tmp_path / "tiny-1.0.yaml"
    path.write_text(BASE_YAML.replace("kind: four_axis_interview", "kind: survey"), "utf-8")
    with pytest.raises(InstrumentError) as error:
        load_instrument(path)
    assert str(path) in str(error.value)


# --------------------------------------------------------------------------- what loads


def test_generated_matrix_and_notes():
    instrument = load_instrument_text(BASE_YAML)
    ids = [i.id for i in instrument.items]
    # explicit items first, then factor by factor: effects over the axes, then the note
    assert ids == [
        "rating__healing",
        "rating__purpose",
        "s1",
        "s2",
        "effect__family__healing",
        "effect__family__purpose",
        "note__family",
        "effect__rescue__healing",
        "effect__rescue__purpose",
        "note__rescue",
    ]
    effect = instrument.item("effect__family__purpose")
    assert (effect.kind, effect.scale, effect.factor, effect.axis) == (
        "effect",
        "effect",
        "family",
        "purpose",
    )
    # labels are put in the same language
    assert effect.text == {"en": "Family and Purpose", "bn": "পরিবার ও উদ্দেশ্য"}
    # rescue has no Bengali label: its English label is used in the Bengali text
    assert instrument.item("effect__rescue__healing").text["bn"] == "Rescue ও আরোগ্য"
    note = instrument.item("note__rescue")
    assert (note.kind, note.factor, note.axis, note.scale) == ("text", "rescue", None, None)
    assert note.text == {"en": "About Rescue"}


def test_subscale_is_filled_in_on_items():
    instrument = load_instrument_text(BASE_YAML)
    assert instrument.item("s1").subscale == "sub"
    assert instrument.item("rating__healing").subscale is None


def test_defaults():
    instrument = load_instrument_text(BASE_YAML)
    ladder = instrument.scales["ladder"]
    assert (ladder.minimum, ladder.maximum, ladder.prefer_not_to_say) == (1, 3, True)
    assert instrument.scoring.min_answered == 0.8
    assert instrument.subscales[0].min_answered == 0.8
    assert instrument.item("s1").sensitivity == "sensitive"


def test_subscale_min_answered_defaults_to_the_scoring_one():
    data = base()
    data["scoring"]["min_answered"] = 0.5
    instrument = load_instrument_text(yaml.safe_dump(data, allow_unicode=True))
    assert instrument.subscales[0].min_answered == 0.5


# --------------------------------------------------------------------------- round trip


def test_round_trip_of_a_small_instrument():
    instrument = load_instrument_text(BASE_YAML)
    assert load_instrument_text(dump_instrument(instrument)) == instrument


@pytest.mark.parametrize("key", ["empowerment-interview@2.0", "empowerment-scales@1.0"])
def test_round_trip_of_library_instruments(key):
    instrument = library()[key]
    text = dump_instrument(instrument)
    again = load_instrument_text(text, f"dumped {key}")
    assert again == instrument
    # and the dump is stable
    assert dump_instrument(again) == text


def test_the_example_in_the_documentation_loads():
    doc = Path(__file__).resolve().parents[2] / "docs" / "instruments.md"
    example = re.search(r"```yaml\n(.*?)```", doc.read_text("utf-8"), re.DOTALL)
    assert example is not None
    instrument = load_instrument_text(example.group(1), "docs/instruments.md")
    assert instrument.item("effect__family__inner_peace").text["en"] == (
        "How did Family affect Inner peace?"
    )
