"""The reader's limits: a file larger, longer or slower than allowed is refused as a whole,
with a message naming the limit; a file from the other tool is refused naming that tool."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from empower.instruments import library
from empower.instruments.submissions import Deadline, Limits, interpret, read_submissions

DATA = Path(__file__).parents[1] / "web" / "fieldwork" / "data"
HEADER = b"participant_code,conducted_on,interview_language,instrument,_uuid\n"


def _csv(rows: int) -> bytes:
    """A Kobo CSV of ``rows`` submissions, each with its own id."""
    body = b"".join(b"P-7KQ4MX,2026-03-14,bn,empowerment-interview@2.0,u-%d\n" % n
                    for n in range(rows))
    return HEADER + body


def _messages(found) -> list[str]:
    return [p.message for p in found.problems]


def test_one_row_past_the_limit_refuses_the_file():
    assert read_submissions(_csv(5), "k.csv", "kobo", limits=Limits(rows=5)).problems == []
    found = read_submissions(_csv(6), "k.csv", "kobo", limits=Limits(rows=5))
    assert found.submissions == []
    assert _messages(found) == [
        "The file holds more than 5 submissions, more than Empower checks at once. Export "
        "fewer at a time (for example one month), so that each file holds at most 5, and "
        "import each file."]


def test_one_submission_as_the_limit_is_said_in_the_singular():
    found = read_submissions(_csv(2), "k.csv", "kobo", limits=Limits(rows=1))
    assert _messages(found)[0].startswith("The file holds more than 1 submission, ")


def test_a_json_list_longer_than_the_limit_is_refused():
    found = read_submissions((DATA / "kobo_api_v2.json").read_bytes(), "k.json",
                             limits=Limits(rows=2))
    assert found.submissions == [] and "more than 2 submissions" in _messages(found)[0]


def test_a_zip_member_is_judged_by_its_declared_size_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("form.csv", b"x" * (3 * 1024 * 1024))  # exactly 3 MB
    found = read_submissions(buffer.getvalue(), "c.zip",
                             limits=Limits(table_bytes=2 * 1024 * 1024))
    assert _messages(found) == [
        "form.csv holds 3 MB of text; Empower reads at most 2 MB from one file. Export fewer "
        "submissions at a time (for example one month), so that each file stays under 2 MB, "
        "and import each file."]


def test_reading_stops_once_the_deadline_has_passed():
    late = Deadline(30, start=time.monotonic() - 31)
    found = read_submissions(_csv(600), "k.csv", "kobo", deadline=late)
    assert found.submissions == []
    assert _messages(found) == [
        "Checking this file took longer than 30 seconds, so it was stopped and nothing was "
        "imported. Export fewer submissions at a time (for example one month), and import "
        "each file."]
    in_time = read_submissions(_csv(600), "k.csv", "kobo", deadline=Deadline(3600))
    assert len(in_time.submissions) == 600


def test_an_odk_zip_read_as_kobo_is_refused_naming_odk_central():
    found = read_submissions((DATA / "odk_central_real.zip").read_bytes(), "central.zip",
                             "kobo")
    assert found.submissions == []
    assert "This looks like an ODK Central export: choose ODK Central" in _messages(found)[0]


def test_an_odk_csv_read_as_kobo_is_refused_before_any_row_is_used():
    found = read_submissions((DATA / "odk_central.csv").read_bytes(), "central.csv", "kobo")
    reading = interpret(found, library())
    assert reading.interviews == []
    assert [p.column for p in reading.errors] == ["SubmissionDate"]
    assert "looks like an export from ODK Central" in reading.errors[0].message
