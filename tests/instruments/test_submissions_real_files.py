"""Reading downloads as KoboToolbox and ODK Central really write them, and files that are
damaged or hostile: ids that survive edits, reviewers' decisions, export options, digits of
other scripts, and zips or workbooks that must not be unpacked."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from empower.instruments import submissions
from empower.instruments.submissions import ascii_digits, read_submissions

from .test_submissions import (
    DATA,
    IDS,
    P1_ANSWERS,
    P1_SERVICES,
    P2_SERVICES,
    _csv,
    read,
)

EDITED = "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"


# --------------------------------------------------------------------------- ODK Central


def test_odk_central_zip_as_it_downloads_today():
    reading = read("odk_central_real.zip")
    assert reading.file.source == "odk" and reading.file.format == "zip"
    assert reading.errors == [] and reading.warnings == []
    first, second, _third = reading.interviews
    # KEY keeps the first id when the submission is edited in Central; meta-instanceID is new.
    assert (first.submission_id, first.version_id) == (IDS[0], EDITED)
    assert (second.submission_id, second.version_id) == (IDS[1], IDS[1])
    # The split select-multiple columns and the space-separated column agree.
    assert first.services == P1_SERVICES and second.services == P2_SERVICES
    assert first.answers == P1_ANSWERS
    assert [str(i.rejected) for i in reading.interviews] == ["", "", "rejected in ODK Central"]
    # media/ is an export with attachments, not a repeat nobody knows.
    assert not any("media" in str(note) for note in reading.notes)


def test_odk_split_select_multiple_without_the_summary_column():
    archive = zipfile.ZipFile(DATA / "odk_central_real.zip")
    lines = archive.read("empowerment-interview-services.csv").decode().splitlines()
    header = lines[0].split(",")
    drop = header.index("conditions")
    cut = [",".join(v for i, v in enumerate(line.split(",")) if i != drop) for line in lines]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("empowerment-interview.csv", archive.read("empowerment-interview.csv"))
        z.writestr("empowerment-interview-services.csv", "\r\n".join(cut) + "\r\n")
    reading = read("e.zip", data=out.getvalue())
    assert reading.errors == []
    assert reading.interviews[0].services == P1_SERVICES


def test_an_odk_submission_central_could_not_decrypt_says_so():
    header = ("SubmissionDate,participant_code,conducted_on,interview_language,"
              "meta-instanceID,KEY,SubmitterID,SubmitterName,AttachmentsPresent,"
              "AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion")
    row = ("2026-03-14T05:21:03.000Z,,,,,uuid:abc,7,field-worker-1,0,0,not decrypted,,,0,"
           "2.0")
    reading = read("e.csv", source="odk", data=f"{header}\n{row}\n".encode(),
                   instrument="empowerment-interview@2.0")
    assert [(p.row, p.column) for p in reading.errors] == [(2, "Status")]
    assert "could not decrypt" in reading.errors[0].message
    assert "passphrase" in reading.errors[0].message


# --------------------------------------------------------------------------- KoboToolbox


def _kobo_json(edit) -> bytes:
    document = json.loads((DATA / "kobo_api_v2.json").read_text(encoding="utf-8"))
    edit(document["results"])
    return json.dumps(document, ensure_ascii=False).encode()


def test_kobo_validation_status_not_approved_in_the_api():
    def refuse(results):
        results[1]["_validation_status"] = {
            "timestamp": 1773465600, "uid": "validation_status_not_approved",
            "by_whom": "supervisor", "color": "#ff0000", "label": "Not approved"}
        results[0]["_validation_status"] = {
            "timestamp": 1773465600, "uid": "validation_status_approved",
            "by_whom": "supervisor", "color": "#00ff00", "label": "Approved"}

    reading = read("k.json", data=_kobo_json(refuse))
    assert reading.errors == []
    assert [bool(i.rejected) for i in reading.interviews] == [False, True, False]
    assert "Not approved" in str(reading.interviews[1].rejected)


@pytest.mark.parametrize("value", ["validation_status_not_approved", "Not Approved"])
def test_kobo_validation_status_in_a_csv_export_with_values_or_labels(value):
    raw = (DATA / "kobo_export.csv").read_bytes().decode("utf-8").split("\r\n")
    header = raw[0].split(";")
    cells = raw[1].split(";")
    cells[header.index('"_validation_status"')] = f'"{value}"'
    raw[1] = ";".join(cells)
    reading = read("k.csv", data="\r\n".join(raw).encode())
    assert [bool(i.rejected) for i in reading.interviews] == [True, False, False]


def _kobo_xlsx_with_headers(rename) -> bytes:
    book = load_workbook(DATA / "kobo_export.xlsx")
    for sheet in book.worksheets:
        for cell in sheet[1]:
            if isinstance(cell.value, str) and not cell.value.startswith("_"):
                cell.value = rename(cell.value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("rename", [
    # Kobo's default: "Include groups in headers" off, so bare XML names
    lambda h: h.rsplit("/", 1)[-1] if not h.startswith("meta/") else h,
    # groups in headers, with a group separator chosen in the export dialog
    lambda h: h.replace("/", "."),
    lambda h: h.replace("/", ":"),
    lambda h: h.replace("/", "_"),
], ids=["no-groups", "dot", "colon", "underscore"])
def test_kobo_xlsx_export_options_for_headers(rename):
    reading = read("k.xlsx", data=_kobo_xlsx_with_headers(rename))
    assert reading.errors == [] and reading.warnings == []
    assert [i.submission_id for i in reading.interviews] == IDS
    assert reading.interviews[0].answers == P1_ANSWERS
    assert reading.interviews[0].services == P1_SERVICES


def test_kobo_xlsx_with_other_sheets_reads_the_right_two_and_names_the_rest():
    book = load_workbook(DATA / "kobo_export.xlsx")
    book.create_sheet("notes from the office").append(["anything", "here"])
    book.move_sheet("notes from the office", offset=-2)
    other = book.create_sheet("household_members")
    other.append(["name_of_member", "_index", "_parent_table_name", "_parent_index"])
    out = io.BytesIO()
    book.save(out)
    reading = read("k.xlsx", data=out.getvalue())
    assert reading.errors == []
    assert reading.interviews[0].services == P1_SERVICES
    assert any("household_members" in str(n) and "notes from the office" in str(n)
               for n in reading.notes)


def test_a_workbook_with_hundreds_of_sheets_is_refused_plainly():
    book = Workbook()
    for n in range(submissions.MAX_SHEETS + 5):
        book.create_sheet(f"s{n}")
    out = io.BytesIO()
    book.save(out)
    reading = read("k.xlsx", data=out.getvalue())
    assert reading.interviews == []
    assert "sheets" in reading.errors[0].message and reading.errors[0].row == 0


# --------------------------------------------------------------------------- values


def test_digits_of_other_scripts_are_exact():
    assert ascii_digits("৭") == "7" and ascii_digits("၇") == "7"
    assert ascii_digits("২০২৬-০৩-১৪") == "2026-03-14"
    assert ascii_digits("၁၀") == "10"
    # the Burmese letter wa looks like zero but is a letter: left alone, so refused later
    assert ascii_digits("ဝ") == "ဝ"


def test_bengali_and_burmese_digits_in_answers_dates_and_codes():
    reading = read("x.csv", data=_csv(rating__healing="৭", rating__purpose="၁၀",
                                      conducted_on="২০২৬-০৩-১৪", participant_code="P-৭KQ4MX"))
    assert reading.errors == []
    interview = reading.interviews[0]
    assert interview.answers["rating__healing"] == 7
    assert interview.answers["rating__purpose"] == 10
    assert interview.conducted_on.isoformat() == "2026-03-14"
    assert interview.participant_code == "P-7KQ4MX"


def test_a_burmese_letter_that_looks_like_zero_is_refused():
    reading = read("x.csv", data=_csv(rating__healing="၁ဝ"))
    assert [p.column for p in reading.errors] == ["rating__healing"]


@pytest.mark.parametrize(("text", "expected"), [
    ("46095", "2026-03-14"),  # an Excel date cell shown as a number
    ("46095.0", "2026-03-14"),
])
def test_excel_day_numbers_are_dates(text, expected):
    reading = read("x.csv", data=_csv(conducted_on=text))
    assert reading.errors == []
    assert reading.interviews[0].conducted_on.isoformat() == expected


def test_numbers_a_spreadsheet_reformatted():
    reading = read("x.csv", instrument="empowerment-interview@2.0", data=_csv(
        rating__healing=" 7 ", rating__purpose="7.00", effect__family__healing="+1",
        effect__family__purpose="-2.0"))
    assert reading.errors == []
    answers = reading.interviews[0].answers
    assert (answers["rating__healing"], answers["rating__purpose"]) == (7, 7)
    assert (answers["effect__family__healing"], answers["effect__family__purpose"]) == (1, -2)


def test_nul_characters_never_reach_the_database():
    reading = read("x.csv", data=_csv(_uuid="u-\x001", participant_code="P-7KQ\x004MX"))
    assert reading.errors == []
    assert reading.interviews[0].submission_id == "u-1"
    assert reading.interviews[0].participant_code == "P-7KQ4MX"


def test_an_id_too_long_to_be_real_is_a_row_problem():
    reading = read("x.csv", data=_csv(_uuid="u" * 101))
    assert [(p.row, p.column) for p in reading.errors] == [(2, "_uuid")]
    assert "longer than 100" in reading.errors[0].message


def test_old_mac_line_endings():
    data = _csv().replace(b"\n", b"\r")
    reading = read("x.csv", data=data)
    assert reading.errors == [] and len(reading.interviews) == 1


def test_a_large_csv_is_read_row_by_row(tmp_path: Path):
    header, row = _csv().decode().splitlines()
    rows = [row.replace("u-1", f"u-{n}") for n in range(20_000)]
    reading = read("x.csv", data=("\n".join([header, *rows]) + "\n").encode())
    assert reading.errors == [] and len(reading.interviews) == 20_000
    assert reading.interviews[-1].row == 20_001


# --------------------------------------------------------------------------- hostile zips


def _patch_central_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Change one field of every entry of a zip's central directory (how a password or an
    unsupported packing method is recorded there)."""
    out = bytearray(data)
    start = 0
    while (start := out.find(b"PK\x01\x02", start)) >= 0:
        struct.pack_into(fmt, out, start + offset, value)
        start += 4
    return bytes(out)


def test_a_password_protected_zip_is_named_as_such():
    raw = (DATA / "odk_central.zip").read_bytes()
    locked = _patch_central_directory(raw, 8, "<H", 0x1)  # general purpose flag: encrypted
    reading = read("o.zip", data=locked)
    assert reading.interviews == []
    assert "password" in reading.errors[0].message


def test_a_zip_packed_with_an_unknown_method_is_refused_plainly():
    raw = (DATA / "odk_central.zip").read_bytes()
    strange = _patch_central_directory(raw, 10, "<H", 99)  # AES, which Python cannot unpack
    reading = read("o.zip", data=strange)
    assert reading.interviews == []
    assert "cannot be unpacked here" in reading.errors[0].message


def test_a_damaged_zip_member_is_refused_plainly():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("f.csv", (DATA / "odk_central.csv").read_bytes())
    data = bytearray(out.getvalue())
    spot = data.find(b"P-7KQ4MX")
    data[spot] = ord("X")  # the bytes no longer match the zip's checksum
    reading = read("o.zip", data=bytes(data))
    assert reading.interviews == []
    assert "damaged" in reading.errors[0].message


def test_a_zip_that_unpacks_to_too_much_is_refused_before_unpacking(monkeypatch):
    # A real zip bomb is gigabytes; the limit is lowered so the test stays small.
    monkeypatch.setattr(submissions, "MAX_UNPACKED_BYTES", 2000)
    reading = read("odk_central.zip")
    assert reading.interviews == []
    assert "unpacks to more than" in reading.errors[0].message


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_opening(monkeypatch):
    monkeypatch.setattr(submissions, "MAX_UNPACKED_BYTES", 2000)
    reading = read("kobo_export.xlsx")
    assert reading.interviews == []
    assert "unpacks to more than" in reading.errors[0].message


def test_a_zip_bomb_member_is_refused_at_its_declared_size():
    # 300 MB of zeros packs to about 300 kB: refused from the sizes the zip declares.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("empowerment-interview.csv", "w", force_zip64=True) as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    found = read_submissions(out.getvalue(), "bomb.zip")
    assert found.submissions == []
    assert "unpacks to more than 200 MB" in found.problems[0].message


def test_a_kobo_workbook_without_a_services_sheet_is_not_called_a_csv():
    # KoboToolbox only adds the services sheet when some submission recorded a service.
    book = load_workbook(DATA / "kobo_export.xlsx")
    del book["services"]
    out = io.BytesIO()
    book.save(out)
    reading = read("k.xlsx", data=out.getvalue())
    assert reading.errors == []
    assert any("no one recorded a service" in str(n) for n in reading.notes)
    assert not any("plain CSV" in str(n) for n in reading.notes)
