"""Exporting instruments to XLSForm: pyxform converts them cleanly, and they import back equal."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date

import openpyxl
import pytest
from pyxform.xls2xform import convert

from empower.instruments import dump_instrument, get_instrument, library
from empower.instruments.xlsform import (
    form_version,
    read_xlsform,
    write_xlsform,
    xlsform_bytes,
    xlsform_filename,
)

KEYS = ["empowerment-interview@2.0", "empowerment-scales@1.0"]
XF = "{http://www.w3.org/2002/xforms}"
ON = date(2026, 5, 20)


def _instrument(key: str):
    instrument_id, version = key.split("@")
    return get_instrument(instrument_id, version)


def _xform(key: str) -> ET.Element:
    warnings: list[str] = []
    result = convert(xlsform_bytes(_instrument(key), ON, 3), warnings=warnings, file_type=".xlsx")
    assert warnings == []
    return ET.fromstring(result.xform)


def _sheet(data: bytes, name: str) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))[name]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_every_bundled_instrument_is_tested():
    assert sorted(library()) == sorted(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_pyxform_converts_without_errors_or_warnings(key):
    root = _xform(key)
    model = root.find(f".//{XF}model")
    binds = {b.get("nodeset"): b.attrib for b in model.iter(f"{XF}bind")}
    assert binds["/data/instrument"]["calculate"] == f"'{key}'"
    assert binds["/data/participant_code"]["required"] == "true()"
    assert binds["/data/participant_code"]["constraint"] == "regex(., '^P-[2-9A-HJ-NP-Z]{6}$')"
    assert binds["/data/conducted_on"]["type"] == "date"
    languages = [t.get("lang") for t in model.iter(f"{XF}translation")]
    assert languages == ["English (en)", "Bengali (bn)", "Burmese (my)"]
    data = model.find(f"{XF}instance/{XF}data")
    assert data.get("id") == key.split("@")[0]
    assert data.get("version") == "2026052003"


def test_the_interview_form_holds_its_items_translations_and_choices():
    root = _xform("empowerment-interview@2.0")
    model = root.find(f".//{XF}model")
    binds = {b.get("nodeset"): b.attrib for b in model.iter(f"{XF}bind")}
    # Items sit in groups named after their section, under their own id.
    assert binds["/data/ladder/rating__healing"]["required"] == "true()"
    assert "/data/factors/effect__family__healing" in binds
    assert "required" not in binds["/data/factors/note__family"]
    assert binds["/data/services/service_type"]["required"] == "true()"
    assert "/data/services/service_effect__self_capacity" in binds
    # The Bengali text of the first ladder question, as the YAML file words it.
    bengali = next(t for t in model.iter(f"{XF}translation") if t.get("lang") == "Bengali (bn)")
    texts = {t.get("id"): t.findtext(f"{XF}value") for t in bengali.iter(f"{XF}text")}
    assert texts["/data/ladder/rating__healing:label"].startswith("দশ ধাপের একটি মই কল্পনা করুন")
    # The effect scale as a choice list: −2 … +2, not applicable, prefer not to say.
    effect = next(i for i in model.iter(f"{XF}instance") if i.get("id") == "effect")
    names = [item.findtext(f"{XF}name") for item in effect.iter(f"{XF}item")]
    assert names == ["-2", "-1", "0", "1", "2", "not_applicable", "prefer_not_to_say"]
    languages = next(i for i in model.iter(f"{XF}instance") if i.get("id") == "empower_language")
    assert [i.findtext(f"{XF}name") for i in languages.iter(f"{XF}item")] == ["en", "bn", "my"]


def test_settings_and_extra_columns():
    data = xlsform_bytes(get_instrument("empowerment-scales", "1.0"), ON, 3)
    settings = _sheet(data, "settings")
    assert settings == [{"form_title": "Empowerment scales", "form_id": "empowerment-scales",
                         "version": "2026052003", "default_language": "English (en)"}]
    survey = {row["name"]: row for row in _sheet(data, "survey") if row["name"]}
    sc3 = survey["sc3"]
    assert sc3["type"] == "select_one agree5"
    assert sc3["label::English (en)"] == "Even small setbacks make me feel that I cannot cope."
    assert (sc3["empower::kind"], sc3["empower::subscale"], sc3["empower::reverse"]) == (
        "rating", "self_capacity", "yes")
    assert survey["sc1"]["empower::reverse"] is None
    assert "services" not in survey  # only the four-axis interview has a services block
    choices = [(r["list_name"], r["name"]) for r in _sheet(data, "choices")]
    assert choices[:6] == [("agree5", str(v)) for v in range(1, 6)] + [
        ("agree5", "prefer_not_to_say")]
    subscales = _sheet(data, "empower_subscales")
    assert subscales[0]["items"] == "sc1 sc2 sc3 sc4 sc5 sc6"


def test_form_version_convention():
    assert form_version(date(2026, 1, 2), 1) == "2026010201"
    assert form_version(date(2026, 12, 31), 99) == "2026123199"
    assert form_version()[:8] == date.today().strftime("%Y%m%d")
    for bad in (0, 100):
        with pytest.raises(ValueError):
            form_version(ON, bad)
    interview = get_instrument("empowerment-interview", "2.0")
    assert xlsform_filename(interview, ON, 2) == "empowerment-interview-2.0-2026052002.xlsx"


@pytest.mark.parametrize("key", KEYS)
def test_round_trip_through_a_file_gives_an_equal_instrument(key, tmp_path):
    instrument = _instrument(key)
    path = write_xlsform(instrument, tmp_path / "form.xlsx", ON, 1)
    assert path.read_bytes()[:2] == b"PK"
    imported = read_xlsform(path)
    assert imported.instrument == instrument
    assert imported.notes == ()
    assert imported.from_empower
    assert dump_instrument(imported.instrument) == dump_instrument(instrument)


def test_round_trip_keeps_changes_an_analyst_makes(tmp_path):
    """A translation missing, a scale range wider than its options, a text-valued option."""
    from dataclasses import replace

    from empower.instruments import Option

    scales = get_instrument("empowerment-scales", "1.0")
    agree = scales.scales["agree5"]
    first = scales.items[0]
    changed = replace(
        scales,
        items=(replace(first, text={"en": first.text["en"]}), *scales.items[1:]),
        scales={"agree5": replace(agree, minimum=0, maximum=6),
                "extra": replace(agree, id="extra", options=(Option("7", {"en": "seven"}),
                                                              Option(1, {"en": "one"})),
                                 minimum=1, maximum=1 + 1, prefer_not_to_say=False)},
    )
    # (The extra scale is used by no item: it still travels, listed on empower_scales.)
    path = write_xlsform(changed, tmp_path / "changed.xlsx")
    assert read_xlsform(path).instrument == changed
