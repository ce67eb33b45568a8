"""Reading KoboToolbox and ODK Central downloads: every format, against values written out by
hand from the interviews in ``tests/web/fieldwork/data/make_files.py``."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from empower.instruments import library
from empower.instruments.submissions import interpret, read_submissions

DATA = Path(__file__).parents[1] / "web" / "fieldwork" / "data"
TODAY = date(2026, 11, 23)

P1_ANSWERS = {
    "rating__healing": 7, "rating__purpose": 5, "rating__inner_peace": "prefer_not_to_say",
    "rating__self_capacity": 8,
    "effect__family__healing": 2, "effect__family__purpose": 1,
    "effect__family__inner_peace": 0, "effect__family__self_capacity": "not_applicable",
    "effect__community__healing": -2, "effect__community__purpose": -1,
    "effect__community__inner_peace": "prefer_not_to_say",
}
P1_NARRATIVES = {"note__family": "আমার মা আমাকে আবার ঘরে নিয়েছেন"}
P1_SERVICES = [
    {"service_type": "legal_aid", "provider_type": "ngo_cso", "respected_wishes": True,
     "conditions": ["repeated_storytelling"],
     "effects": {"healing": 1, "purpose": 0, "inner_peace": -1,
                 "self_capacity": "not_applicable"}},
    {"service_type": "vocational_training", "provider_type": "survivor_group",
     "respected_wishes": False, "conditions": ["conditions_attached", "pressure_to_participate"],
     "effects": {"healing": 2, "purpose": 2, "inner_peace": 1, "self_capacity": None}},
]
P2_ANSWERS = {
    "rating__healing": 4, "rating__purpose": 6, "rating__inner_peace": 5,
    "rating__self_capacity": 3, "effect__rescue__healing": -1, "effect__rescue__inner_peace": -2,
}
P2_NARRATIVES = {
    "note__rescue": "The police came at night; I was afraid of them, not of the broker."
}
P2_SERVICES = [
    {"service_type": "shelter", "provider_type": "government", "respected_wishes": None,
     "conditions": [],
     "effects": {"healing": -1, "purpose": None, "inner_peace": -2, "self_capacity": 0}},
]
P3_ANSWERS = {
    "rating__healing": 10, "rating__purpose": 9, "rating__inner_peace": 8,
    "rating__self_capacity": 7, "effect__work_and_finances__self_capacity": 2,
}
IDS = ["5b8f0a3c-2d1e-4f6a-9b7c-3e2d1f0a9b8c", "a41c7e92-6f3b-4d85-8e1a-0c9b7d6e5f42",
       "e0d9c8b7-a6f5-4e3d-9c2b-1a0f9e8d7c6b"]


def read(name: str, source=None, instrument=None, data: bytes | None = None):
    raw = (DATA / name).read_bytes() if data is None else data
    found = read_submissions(raw, name, source)
    return interpret(found, library(), instrument, today=TODAY)


# --------------------------------------------------------------------------- every format

FORMATS = [
    # file, source worked out, format, rows as the user sees them, services read
    ("kobo_api_v2.json", "kobo", "json", [1, 2, 3], True),
    ("kobo_export.xlsx", "kobo", "xlsx", [2, 3, 4], True),
    ("kobo_export.csv", "kobo", "csv", [2, 3, 4], False),
    ("odk_central.csv", "odk", "csv", [2, 3, 4], False),
    ("odk_central.zip", "odk", "zip", [2, 3, 4], True),
]


@pytest.mark.parametrize(("name", "source", "kind", "rows", "services"), FORMATS)
def test_every_format_gives_the_same_three_interviews(name, source, kind, rows, services):
    reading = read(name)
    assert reading.file.source == source and reading.file.source_guessed
    assert reading.file.format == kind
    assert reading.errors == []
    first, second, third = reading.interviews
    assert [i.row for i in reading.interviews] == rows
    assert [i.submission_id for i in reading.interviews] == IDS
    assert [i.participant_code for i in reading.interviews] == ["P-7KQ4MX", "P-3HW9TD",
                                                                "P-N2C8RF"]
    assert {i.instrument_key for i in reading.interviews} == {"empowerment-interview@2.0"}
    assert [i.conducted_on for i in reading.interviews] == [
        date(2026, 3, 14), date(2026, 3, 15), date(2026, 3, 16)]
    assert [i.language for i in reading.interviews] == ["bn", "en", "my"]
    assert first.answers == P1_ANSWERS and first.narratives == P1_NARRATIVES
    assert second.answers == P2_ANSWERS and second.narratives == P2_NARRATIVES
    assert third.answers == P3_ANSWERS and third.narratives == {}
    if services:
        assert first.services == P1_SERVICES
        assert second.services == P2_SERVICES
    else:
        assert first.services == second.services == []
        assert any("no services data" in str(note) for note in reading.notes)
    assert third.services == []


def test_a_plain_csv_says_it_has_no_services_only_when_the_instrument_has_them():
    header = "_uuid,participant_code,conducted_on,interview_language,instrument,sc1\n"
    row = "u-1,P-7KQ4MX,2026-03-14,en,empowerment-scales@1.0,4\n"
    reading = read("scales.csv", data=(header + row).encode())
    assert reading.errors == []
    assert reading.interviews[0].answers == {"sc1": 4}
    assert not any("services" in str(note) for note in reading.notes)


# --------------------------------------------------------------------------- file robustness


def test_utf8_with_byte_order_mark_read_as_excel_saves_it():
    reading = read("kobo_excel_bom.csv")
    assert reading.file.encoding == "utf-8-sig"
    # The BOM must not stick to the first header ("\ufeffstart" would be an unknown column).
    assert reading.file.headers[0] == "start"
    assert reading.warnings == []
    assert reading.interviews[0].narratives == P1_NARRATIVES


def test_utf16_unicode_text_from_excel_tab_separated():
    raw = (DATA / "kobo_excel_unicode.txt").read_bytes()
    assert raw[:2] == b"\xff\xfe"
    reading = read("kobo_excel_unicode.txt")
    assert reading.file.encoding == "utf-16"
    assert reading.errors == []
    assert [i.answers for i in reading.interviews] == [P1_ANSWERS, P2_ANSWERS, P3_ANSWERS]
    assert reading.interviews[0].narratives == P1_NARRATIVES


def test_windows_1252_falls_back_with_a_note():
    raw = (DATA / "kobo_cp1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    reading = read("kobo_cp1252.csv")
    assert reading.file.encoding == "cp1252"
    assert any("not UTF-8" in str(note) and "Windows-1252" in str(note) for note in reading.notes)
    assert reading.interviews[0].narratives == {
        "note__rescue": "Le café à Penang gardait mon passeport – j’avais peur."}


def test_latin1_when_cp1252_cannot_read_it():
    # 0x81 is not a cp1252 character; Latin-1 reads every byte.
    data = ("_uuid,participant_code,conducted_on,interview_language,sc1\n"
            "u1,P-7KQ4MX,2026-03-14,en,4\n")
    raw = data.replace("u1", "u\x81").encode("latin-1")
    reading = read("x.csv", instrument="empowerment-scales@1.0", data=raw)
    assert reading.file.encoding == "latin-1"
    assert any("Latin-1" in str(note) for note in reading.notes)
    assert reading.interviews[0].submission_id == "u\x81"


def test_semicolon_separated_with_every_value_quoted():
    raw = (DATA / "kobo_export.csv").read_bytes()
    assert raw.startswith(b'"start";"end";')
    reading = read("kobo_export.csv")
    assert len(reading.file.headers) == 6 + 4 + 45 + 11
    assert reading.interviews[1].narratives == P2_NARRATIVES  # holds a comma and a semicolon


def test_empty_rows_are_skipped_and_rows_keep_their_numbers():
    reading = read("kobo_empty_rows.csv")
    assert reading.errors == []
    assert [(i.row, i.participant_code) for i in reading.interviews] == [
        (2, "P-7KQ4MX"), (5, "P-3HW9TD")]


def test_unknown_columns_are_warnings_not_errors():
    reading = read("kobo_unknown_columns.csv")
    assert reading.errors == []
    assert [(w.row, w.column) for w in reading.warnings] == [
        (1, "interviewer_comment"), (1, "ladder/rating__confidence")]
    assert all("ignored" in w.message for w in reading.warnings)
    # Kobo's own columns (_validation_status, __version__, meta/instanceID …) are metadata.
    assert not any(w.column.startswith(("_", "meta/")) for w in reading.warnings)


def test_wrong_types_name_the_row_and_the_column():
    reading = read("kobo_wrong_types.csv")
    problems = [(p.row, p.column, p.message) for p in reading.errors]
    allowed = "allowed: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, prefer_not_to_say"
    assert problems == [
        (2, "ladder/rating__healing", f"'seven' is not an answer on scale 'ladder' ({allowed})"),
        (3, "ladder/rating__purpose", f"'11' is not an answer on scale 'ladder' ({allowed})"),
    ]


def test_duplicate_submission_ids_point_at_each_other():
    reading = read("kobo_duplicate_ids.csv")
    assert [(p.row, p.message) for p in reading.errors] == [
        (2, "duplicate submission id, also in row 4"),
        (4, "duplicate submission id, also in row 2"),
    ]


def test_missing_required_columns_stop_the_file():
    reading = read("kobo_missing_columns.csv")
    assert reading.interviews == []
    assert [(p.row, p.column) for p in reading.errors] == [(1, "participant_code"), (1, "_uuid")]
    assert all(p.message.startswith("missing column") for p in reading.errors)


def test_a_kobo_file_read_as_odk_says_which_source_it_looks_like():
    # Kobo's _uuid only (no meta/instanceID, which ODK would accept too)
    data = (b"participant_code,conducted_on,interview_language,_uuid,_submission_time\n"
            b"P-7KQ4MX,2026-03-14,en,u-1,2026-03-14T05:21:03\n")
    reading = read("kobo.csv", source="odk", data=data)
    assert [p.column for p in reading.errors] == ["instanceID"]
    assert "looks like a KoboToolbox export" in reading.errors[0].message


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv", "no_results.json"])
def test_an_empty_file_is_one_clear_problem(name):
    data = {
        "empty.csv": b"",
        "header_only.csv": (DATA / "kobo_export.csv").read_bytes().split(b"\r\n")[0] + b"\r\n",
        "no_results.json": b'{"count": 0, "next": null, "previous": null, "results": []}',
    }[name]
    reading = read(name, data=data)
    assert reading.interviews == []
    assert [str(p) for p in reading.errors] in (["The file is empty."],
                                                ["The file holds no submissions."])


def test_a_file_that_is_not_json():
    reading = read("not_json.json")
    assert len(reading.errors) == 1
    assert reading.errors[0].message.startswith("The file is not valid JSON (line 1, column 1")


def test_a_csv_renamed_xlsx_is_not_an_excel_workbook():
    reading = read("not_excel.xlsx")
    assert [p.message for p in reading.errors] == [
        "not_excel.xlsx is not an Excel workbook (it may be a CSV or text file with the wrong "
        "name, or damaged)."]


def test_an_old_xls_file_is_named_as_such():
    reading = read("old.xls", data=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
    assert "old-style Excel file (.xls)" in reading.errors[0].message


def test_an_xlsx_named_json_is_said_to_be_so():
    reading = read("export.json", data=(DATA / "kobo_export.xlsx").read_bytes())
    assert "called a JSON file but is a zip or Excel file" in reading.errors[0].message


def test_json_that_is_one_page_of_the_api_says_so():
    document = json.loads((DATA / "kobo_api_v2.json").read_text(encoding="utf-8"))
    document.update(count=250, next="https://kf.kobotoolbox.org/api/v2/assets/a/data/?page=2")
    reading = read("page.json", data=json.dumps(document).encode())
    assert len(reading.interviews) == 3
    assert any("3 of 250 submissions" in str(note) for note in reading.notes)


def test_json_positions_count_from_one_and_missing_fields_are_row_problems():
    document = json.loads((DATA / "kobo_api_v2.json").read_text(encoding="utf-8"))
    del document["results"][1]["participant_code"]
    document["results"][2]["ladder/rating__healing"] = "seven"
    reading = read("x.json", data=json.dumps(document).encode())
    assert [(p.row, p.column) for p in reading.errors] == [
        (2, "participant_code"), (3, "ladder/rating__healing")]


# --------------------------------------------------------------------------- values


def _csv(**cells: str) -> bytes:
    base = {"_uuid": "u-1", "instrument": "empowerment-interview@2.0",
            "participant_code": "P-7KQ4MX", "conducted_on": "2026-03-14",
            "interview_language": "en", "rating__healing": "7", "rating__purpose": "7",
            "rating__inner_peace": "7", "rating__self_capacity": "7"}
    base.update(cells)
    base = {k: v for k, v in base.items() if v is not None}
    return (",".join(base) + "\n" + ",".join(base.values()) + "\n").encode()


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-14", date(2026, 3, 14)),
    ("2026-03-14T23:30:00.000+06:00", date(2026, 3, 14)),
    ("2026-03-14 10:22:01", date(2026, 3, 14)),
    ("2026-03-14T10:22Z", date(2026, 3, 14)),
])
def test_conducted_on_takes_a_date_or_a_date_time(text, expected):
    reading = read("x.csv", data=_csv(conducted_on=text))
    assert reading.errors == []
    assert reading.interviews[0].conducted_on == expected


@pytest.mark.parametrize(("text", "message"), [
    ("14/03/2026", "'14/03/2026' is not a date; write it as YYYY-MM-DD (e.g. 2026-03-14)"),
    ("2026-02-30", "'2026-02-30' is not a date; write it as YYYY-MM-DD (e.g. 2026-03-14)"),
    ("2026-11-25", "the interview date 2026-11-25 is in the future"),
    ("", "no interview date"),
])
def test_bad_interview_dates(text, message):
    reading = read("x.csv", data=_csv(conducted_on=text))
    assert [(p.row, p.column, p.message) for p in reading.errors] == [(2, "conducted_on",
                                                                       message)]


def test_language_must_be_one_of_the_instrument():
    reading = read("x.csv", data=_csv(interview_language="fr"))
    assert [(p.column, p.message) for p in reading.errors] == [
        ("interview_language",
         "'fr' is not a language of empowerment-interview@2.0 (en, bn, my)")]


def test_the_instrument_option_covers_submissions_that_do_not_say():
    data = _csv(instrument=None)
    reading = read("x.csv", data=data)
    assert [p.column for p in reading.errors] == ["instrument"]
    assert "does not say which instrument" in reading.errors[0].message
    reading = read("x.csv", data=data, instrument="empowerment-interview@2.0")
    assert reading.errors == []
    assert reading.interviews[0].instrument_key == "empowerment-interview@2.0"


def test_a_declared_instrument_wins_and_an_unknown_one_is_a_row_error():
    reading = read("x.csv", data=_csv(instrument="empowerment-interview@9.9"),
                   instrument="empowerment-interview@2.0")
    assert [(p.row, p.column) for p in reading.errors] == [(2, "instrument")]
    assert reading.errors[0].message.startswith("unknown instrument 'empowerment-interview@9.9'")


def test_required_questions_left_empty_are_named():
    reading = read("x.csv", data=_csv(rating__purpose=""))
    assert [(p.column, p.message) for p in reading.errors] == [
        ("rating__purpose", "question 'rating__purpose' is required but has no answer")]


def test_not_applicable_is_only_an_answer_to_an_effect_question():
    reading = read("x.csv", data=_csv(rating__healing="not_applicable"))
    assert [p.column for p in reading.errors] == ["rating__healing"]


def test_excel_numbers_and_lower_case_codes_are_read_kindly():
    reading = read("x.csv", data=_csv(rating__healing="7.0", participant_code=" p-7kq4mx "))
    assert reading.errors == []
    assert reading.interviews[0].answers["rating__healing"] == 7
    assert reading.interviews[0].participant_code == "P-7KQ4MX"


def test_xlsx_cells_that_excel_turned_into_numbers_and_dates():
    book = load_workbook(DATA / "kobo_export.xlsx")
    sheet = book["Empowerment interview"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("conducted_on") + 1).value = date(2026, 3, 14)
    sheet.cell(row=2, column=header.index("ladder/rating__healing") + 1).value = 7.0
    out = io.BytesIO()
    book.save(out)
    reading = read("k.xlsx", data=out.getvalue())
    assert reading.errors == []
    assert reading.interviews[0].conducted_on == date(2026, 3, 14)
    assert reading.interviews[0].answers == P1_ANSWERS


def test_kobo_xlsx_services_problems_name_the_services_sheet():
    book = load_workbook(DATA / "kobo_export.xlsx")
    sheet = book["services"]
    sheet["A3"] = "massage"  # second service of the first submission
    sheet["D2"] = "repeated_storytelling too_many_questions"
    out = io.BytesIO()
    book.save(out)
    reading = read("k.xlsx", data=out.getvalue())
    assert [(p.sheet, p.row, p.column) for p in reading.errors] == [
        ("services", 2, "services/conditions"), ("services", 3, "services/service_type")]
    assert "unknown condition 'too_many_questions'" in reading.errors[0].message
    assert "unknown service 'massage'" in reading.errors[1].message


def test_odk_zip_orphan_services_are_a_warning():
    archive = zipfile.ZipFile(DATA / "odk_central.zip")
    main = archive.read("empowerment_interview.csv")
    repeat = archive.read("empowerment_interview-services.csv").decode()
    repeat += "shelter,ngo_cso,yes,,1,1,1,1,uuid:no-such-parent,uuid:no-such-parent/services[1]\r\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("empowerment_interview.csv", main)
        z.writestr("empowerment_interview-services.csv", repeat)
    reading = read("o.zip", data=out.getvalue())
    assert reading.errors == []
    assert [(w.sheet, w.row, w.column) for w in reading.warnings] == [
        ("empowerment_interview-services.csv", 5, "PARENT_KEY")]
    assert reading.interviews[0].services == P1_SERVICES


def test_conditions_exported_one_column_per_choice():
    archive = zipfile.ZipFile(DATA / "odk_central.zip")
    repeat = archive.read("empowerment_interview-services.csv").decode().splitlines()
    header = repeat[0].replace("conditions,", "conditions/conditions_attached,"
                                              "conditions/pressure_to_participate,")
    rows = [r.replace(",repeated_storytelling,", ",0,0,") for r in repeat[1:]]
    rows = [r.replace(",conditions_attached pressure_to_participate,", ",1,1,") for r in rows]
    rows = [r.replace(",prefer_not_to_say,,", ",prefer_not_to_say,0,0,") for r in rows]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("empowerment_interview.csv", archive.read("empowerment_interview.csv"))
        z.writestr("empowerment_interview-services.csv", "\r\n".join([header, *rows]) + "\r\n")
    reading = read("o.zip", data=out.getvalue())
    assert reading.errors == [] and reading.warnings == []
    assert reading.interviews[0].services[0]["conditions"] == []
    assert reading.interviews[0].services[1]["conditions"] == [
        "conditions_attached", "pressure_to_participate"]


def test_an_edited_kobo_submission_keeps_its_first_id_and_names_the_one_it_replaces():
    # As KoboToolbox writes an edit: a new _uuid and meta/instanceID, the previous one in
    # meta/deprecatedID, and the first one kept in meta/rootUuid.
    document = json.loads((DATA / "kobo_api_v2.json").read_text(encoding="utf-8"))
    edited = document["results"][0]
    edited["_uuid"] = "0f0e0d0c-1111-4222-8333-944455566677"
    edited["meta/instanceID"] = "uuid:0f0e0d0c-1111-4222-8333-944455566677"
    edited["meta/deprecatedID"] = f"uuid:{IDS[0]}"
    reading = read("x.json", data=json.dumps(document).encode())
    assert reading.interviews[0].submission_id == IDS[0]
    assert reading.interviews[0].version_id == "0f0e0d0c-1111-4222-8333-944455566677"
    assert reading.interviews[0].replaces == IDS[0]


def test_a_kobo_submission_edited_twice_is_still_known_by_its_root_uuid():
    document = json.loads((DATA / "kobo_api_v2.json").read_text(encoding="utf-8"))
    edited = document["results"][0]
    edited["_uuid"] = "33333333-3333-4333-8333-333333333333"
    edited["meta/instanceID"] = "uuid:33333333-3333-4333-8333-333333333333"
    edited["meta/deprecatedID"] = "uuid:22222222-2222-4222-8222-222222222222"
    reading = read("x.json", data=json.dumps(document).encode())
    assert reading.interviews[0].submission_id == IDS[0]
    assert reading.interviews[0].ids == {
        IDS[0], "33333333-3333-4333-8333-333333333333", "22222222-2222-4222-8222-222222222222"}


def test_an_older_kobo_export_without_root_uuid_uses_uuid():
    document = json.loads((DATA / "kobo_api_v2.json").read_text(encoding="utf-8"))
    for record in document["results"]:
        del record["meta/rootUuid"]
    reading = read("x.json", data=json.dumps(document).encode())
    assert [i.submission_id for i in reading.interviews] == IDS
