"""The bundled instruments: complete, translated, and shaped as the domain requires."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from empower.instruments import (
    FOUR_AXES,
    Instrument,
    InstrumentError,
    Texts,
    get_instrument,
    library,
)

INTERVIEW = "empowerment-interview@2.0"
SCALES = "empowerment-scales@1.0"

FACTORS = (
    "family",
    "community",
    "rescue",
    "legal_process",
    "mental_health",
    "psychosocial_support",
    "work_and_finances",
    "ngo_services",
    "officials_and_police",
)

BENGALI = re.compile(r"[\u0980-\u09FF]")
BURMESE = re.compile(r"[\u1000-\u109F]")


def all_texts(instrument: Instrument) -> Iterator[tuple[str, Texts]]:
    """Every text of an instrument with a name saying where it is."""
    yield "title", instrument.title
    yield "description", instrument.description
    for group in (instrument.axes, instrument.factors):
        for thing in group:
            yield f"{thing.id}.label", thing.label
            if thing.description:
                yield f"{thing.id}.description", thing.description
    for scale in instrument.scales.values():
        for option in scale.options:
            yield f"scales[{scale.id}].{option.value}", option.label
    for item in instrument.items:
        yield f"items[{item.id}]", item.text
    for subscale in instrument.subscales:
        yield f"subscales[{subscale.id}]", subscale.label
    if instrument.services is not None:
        block = instrument.services
        for name, options in (
            ("service_types", block.service_types),
            ("provider_types", block.provider_types),
            ("conditions", block.conditions),
        ):
            for option in options:
                yield f"services.{name}.{option.value}", option.label


@pytest.fixture(scope="module")
def instruments() -> dict[str, Instrument]:
    return library()


def test_both_instruments_load(instruments):
    assert {INTERVIEW, SCALES} <= set(instruments)
    assert instruments[INTERVIEW].kind == "four_axis_interview"
    assert instruments[SCALES].kind == "scales"


@pytest.mark.parametrize("key", [INTERVIEW, SCALES])
def test_every_text_is_in_english_bengali_and_burmese(instruments, key):
    instrument = instruments[key]
    assert instrument.languages == ("en", "bn", "my")
    for where, texts in all_texts(instrument):
        assert set(texts) == {"en", "bn", "my"}, where
        assert BENGALI.search(texts["bn"]), f"{where}: the bn text is not in Bengali script"
        assert BURMESE.search(texts["my"]), f"{where}: the my text is not in Burmese script"


@pytest.mark.parametrize("key", [INTERVIEW, SCALES])
def test_no_text_is_an_untranslated_copy(instruments, key):
    for where, texts in all_texts(instruments[key]):
        assert texts["en"] != texts["bn"], where
        assert texts["en"] != texts["my"], where
        assert texts["bn"] != texts["my"], where


@pytest.mark.parametrize("key", [INTERVIEW, SCALES])
def test_the_four_axes(instruments, key):
    assert instruments[key].axis_ids() == FOUR_AXES


def test_interview_ladder_items(instruments):
    interview = instruments[INTERVIEW]
    ladder = [i for i in interview.items if i.kind == "rating"]
    assert [i.id for i in ladder] == [f"rating__{a}" for a in FOUR_AXES]
    assert all(i.scale == "ladder" and i.id == f"rating__{i.axis}" for i in ladder)
    scale = interview.scales["ladder"]
    assert (scale.minimum, scale.maximum) == (1, 10)
    assert scale.numeric_values() == tuple(range(1, 11))
    assert interview.scoring.method == "ladder"


def test_interview_effect_matrix_and_notes(instruments):
    interview = instruments[INTERVIEW]
    assert interview.factor_ids() == FACTORS
    effects = [i for i in interview.items if i.kind == "effect"]
    assert len(effects) == 9 * 4
    assert {(i.factor, i.axis) for i in effects} == {(f, a) for f in FACTORS for a in FOUR_AXES}
    assert all(i.id == f"effect__{i.factor}__{i.axis}" and i.scale == "effect" for i in effects)
    notes = [i for i in interview.items if i.kind == "text"]
    assert [i.id for i in notes] == [f"note__{f}" for f in FACTORS]
    effect = interview.scales["effect"]
    assert [o.value for o in effect.options] == [-2, -1, 0, 1, 2, "not_applicable"]


def test_interview_effect_texts_name_the_factor_and_axis(instruments):
    interview = instruments[INTERVIEW]
    item = interview.item("effect__community__inner_peace")
    for language in ("en", "bn", "my"):
        factor = interview.factors[1].label[language]
        axis = interview.axes[2].label[language]
        assert factor in item.text[language] and axis in item.text[language]


def test_interview_services(instruments):
    services = instruments[INTERVIEW].services
    assert services is not None
    assert services.effect_scale == "effect"
    assert [o.value for o in services.service_types] == [
        "business_startup",
        "job_placement",
        "vocational_training",
        "psychosocial_support",
        "legal_aid",
        "financial_assistance",
        "shelter",
        "rescue",
        "health_care",
        "family_reconnection",
        "other",
    ]
    assert [o.value for o in services.provider_types] == [
        "ngo_cso",
        "government",
        "police",
        "survivor_group",
        "employer",
        "other",
    ]
    assert [o.value for o in services.conditions] == [
        "conditions_attached",
        "excessive_oversight",
        "pressure_to_participate",
        "paternalistic",
        "repeated_storytelling",
        "photos_without_consent",
        "none",
    ]


def test_scales_subscales(instruments):
    scales = instruments[SCALES]
    assert scales.scoring.method == "subscale_mean"
    assert scales.factors == ()
    assert scales.services is None
    expected = {
        "self_capacity": ("self_capacity", "sc"),
        "inner_peace": ("inner_peace", "ip"),
        "healing_growth": ("healing", "hg"),
        "connection_purpose": ("purpose", "cp"),
    }
    assert {s.id: s.axis for s in scales.subscales} == {k: v[0] for k, v in expected.items()}
    for subscale in scales.subscales:
        prefix = expected[subscale.id][1]
        assert 5 <= len(subscale.items) <= 6
        assert all(re.fullmatch(prefix + r"\d", i) for i in subscale.items)
        items = [scales.item(i) for i in subscale.items]
        reversed_count = sum(i.reverse for i in items)
        assert 1 <= reversed_count <= 2, subscale.id
        assert all(i.scale == "agree5" and i.subscale == subscale.id for i in items)
    agree5 = scales.scales["agree5"]
    assert agree5.numeric_values() == (1, 2, 3, 4, 5)


def test_scenario_items_ask_the_person_to_imagine(instruments):
    scales = instruments[SCALES]
    for subscale in ("healing_growth", "connection_purpose"):
        for item_id in next(s for s in scales.subscales if s.id == subscale).items:
            assert scales.item(item_id).text["en"].startswith("Imagine"), item_id


# --------------------------------------------------------------------------- versions


VERSIONED = """
id: check-in
version: "{version}"
kind: scales
title: {{en: Check-in {version}}}
languages: [en]
axes: [{{id: healing, label: {{en: Healing}}}}]
scales: [{{id: s, options: [{{value: 1, label: {{en: Low}}}}, {{value: 2, label: {{en: High}}}}]}}]
items: [{{id: i1, kind: rating, scale: s, text: {{en: Q}}}}]
subscales: [{{id: sub, label: {{en: Sub}}, axis: healing, items: [i1]}}]
scoring: {{method: subscale_mean}}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for version in ("2.9", "2.10", "1.0"):
        path = tmp_path / f"check-in-{version}.yaml"
        path.write_text(VERSIONED.format(version=version), "utf-8")
    return tmp_path


def test_get_instrument_picks_the_highest_version(folder):
    # compared number by number: 2.10 > 2.9 (as text, "2.9" would win)
    assert get_instrument("check-in", folder=folder).version == "2.10"


def test_get_instrument_by_version(folder):
    assert get_instrument("check-in", "2.9", folder=folder).title == {"en": "Check-in 2.9"}


def test_get_instrument_unknown(folder):
    with pytest.raises(KeyError):
        get_instrument("check-in", "3.0", folder=folder)
    with pytest.raises(KeyError):
        get_instrument("nothing", folder=folder)


def test_get_instrument_from_the_bundled_library():
    assert get_instrument("empowerment-interview").key == INTERVIEW
    assert get_instrument("empowerment-scales", "1.0").key == SCALES


def test_the_same_version_twice_is_refused(folder):
    (folder / "copy.yaml").write_text(VERSIONED.format(version="2.9"), "utf-8")
    with pytest.raises(InstrumentError):
        library(folder)


def test_library_is_cached_but_returns_a_fresh_dict():
    first, second = library(), library()
    assert first == second
    assert first is not second
    assert first[INTERVIEW] is second[INTERVIEW]
