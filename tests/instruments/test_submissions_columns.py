"""Column names with group paths, and telling the two tools apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from empower.instruments.submissions import (
    name_of,
    normalise_id,
    parse_instrument_key,
    read_submissions,
)

DATA = Path(__file__).parents[1] / "web" / "fieldwork" / "data"


@pytest.mark.parametrize(("header", "expected"), [
    ("sc1", "sc1"),
    ("section_a/sc1", "sc1"),           # Kobo
    ("section_a-sc1", "sc1"),           # ODK Central
    ("a/b/c/rating__healing", "rating__healing"),
    ("ladder-rating__healing", "rating__healing"),
    ("xsc1", None),                     # not a group path, just a longer name
    ("sc1/extra", None),
    ("group-my-item", "my-item"),       # an id holding a hyphen is not cut short
])
def test_a_header_stands_for_the_known_name_at_the_end_of_its_path(header, expected):
    assert name_of(header, {"sc1", "rating__healing", "my-item", "item"}) == expected


def test_ids_with_and_without_the_uuid_prefix_are_one_submission():
    assert normalise_id("uuid:5b8f0a3c") == normalise_id("5b8f0a3c") == "5b8f0a3c"


@pytest.mark.parametrize(("text", "expected"), [
    ("empowerment-interview@2.0", ("empowerment-interview", "2.0")),
    ("'empowerment-scales@1.0'", ("empowerment-scales", "1.0")),
    ("empowerment-interview", None),
    ("Empowerment interview@2", None),
])
def test_instrument_keys(text, expected):
    assert parse_instrument_key(text) == expected


@pytest.mark.parametrize(("name", "source"), [
    ("kobo_api_v2.json", "kobo"), ("kobo_export.xlsx", "kobo"), ("kobo_export.csv", "kobo"),
    ("kobo_excel_unicode.txt", "kobo"), ("odk_central.csv", "odk"), ("odk_central.zip", "odk"),
])
def test_the_source_is_worked_out_from_the_file(name, source):
    found = read_submissions((DATA / name).read_bytes(), name)
    assert (found.source, found.source_guessed) == (source, True)


def test_a_chosen_source_is_kept():
    found = read_submissions((DATA / "odk_central.csv").read_bytes(), "x.csv", "odk")
    assert (found.source, found.source_guessed) == ("odk", False)


def test_odk_does_not_export_json():
    found = read_submissions((DATA / "kobo_api_v2.json").read_bytes(), "x.json", "odk")
    assert "ODK Central exports are CSV files" in found.errors[0].message


def test_content_decides_when_the_name_has_no_extension():
    found = read_submissions((DATA / "kobo_export.xlsx").read_bytes(), "download")
    assert found.format == "xlsx" and len(found.submissions) == 3
    found = read_submissions((DATA / "odk_central.zip").read_bytes(), "download")
    assert (found.format, found.source) == ("zip", "odk")
