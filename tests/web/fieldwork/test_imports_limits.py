"""An upload cannot stall the site: it is checked once, and a file past the size, row or time
limits is refused with a message that says which limit and what to do."""

from __future__ import annotations

import html
import io
import time
import tracemalloc
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from empower.instruments.submissions import Deadline
from empower.web.assessments.models import Assessment
from empower.web.fieldwork import imports, views_imports
from empower.web.fieldwork.imports import run_import
from empower.web.fieldwork.models import ImportedSubmission, PendingImport

MIB = 1024 * 1024
#: ODK Central's columns around Empower's; one submission per row, the same over and over.
HEADER = (b"SubmissionDate,instrument,participant_code,conducted_on,interview_language,"
          b"meta-instanceID,KEY\n")
ROW = (b"2026-03-14T05:21:03.000Z,empowerment-interview@2.0,P-7KQ4MX,2026-03-14,bn,"
       b"uuid:5b8f0a3c-2d1e-4f6a-9b7c-3e2d1f0a9b8c,uuid:5b8f0a3c-2d1e-4f6a-9b7c-3e2d1f0a9b8c\n")


def _zip_bomb(unpacked: int) -> bytes:
    """A zip of a few hundred KB whose CSV unpacks to exactly ``unpacked`` bytes, written a
    megabyte at a time so that building it never holds the CSV in memory."""
    chunk = ROW * (MIB // len(ROW))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("empowerment-interview.csv", "w") as member:
        member.write(HEADER)
        left = unpacked - len(HEADER)
        while left > 0:
            member.write(chunk[:left])
            left -= min(left, len(chunk))
    return buffer.getvalue()


class _Counting:
    """``run_import`` as the views call it, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **kwargs):
        self.calls += 1
        return run_import(**kwargs)


def _upload(client, data, name, **fields):
    return client.post(reverse("import_upload"),
                       {"file": SimpleUploadedFile(name, data), **fields})


def test_a_small_zip_that_unpacks_to_150_mb_is_refused_unread_and_checked_once(
        org_a, people, login, monkeypatch, data_file):
    bomb = _zip_bomb(150 * MIB)
    assert len(bomb) < 1 * MIB  # what an interviewer uploads
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.infolist()[0].file_size == 150 * MIB
    counting = _Counting()
    monkeypatch.setattr(views_imports, "run_import", counting)
    client = login(org_a, "interviewer")
    # The site's modules are loaded by a first upload, so that the measure below is the file's.
    _upload(client, data_file("odk_central.zip"), "central.zip")
    assert counting.calls == 1

    tracemalloc.start()
    try:
        response = _upload(client, bomb, "central.zip")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 302
    # Unpacking it would have taken 150 MB for the text alone, and several times that as rows.
    assert peak < 16 * MIB
    assert counting.calls == 2

    for _ in range(2):
        page = html.unescape(client.get(response["Location"]).content.decode())
        assert ("empowerment-interview.csv holds 150 MB of text; Empower reads at most 20 MB "
                "from one file") in page
        assert "so that each file stays under 20 MB" in page
    assert counting.calls == 2  # the page shows what the upload's check found
    assert f'action="{response["Location"]}"' not in page  # no import button


def test_the_stored_result_is_encrypted(org_a, people, login, data_file):
    client = login(org_a, "interviewer")
    _upload(client, data_file("kobo_export.csv"), "k.csv")
    pending = PendingImport.objects.get()
    assert pending.checked_at is not None
    assert [r["participant_code"] for r in pending.result["rows"]] == [
        "P-7KQ4MX", "P-3HW9TD", "P-N2C8RF"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT result FROM fieldwork_pendingimport WHERE id = %s", [pending.pk])
        stored = cursor.fetchone()[0]
    assert "P-7KQ4MX" not in stored and "rows" not in stored


def test_the_import_button_imports_what_the_stored_check_promised(org_a, people, login,
                                                                   data_file, monkeypatch):
    counting = _Counting()
    monkeypatch.setattr(views_imports, "run_import", counting)
    client = login(org_a, "interviewer")
    url = _upload(client, data_file("kobo_export.xlsx"), "k.xlsx")["Location"]
    client.get(url)
    assert counting.calls == 1
    done = client.post(url)
    assert "Interviews imported" in done.content.decode()
    assert counting.calls == 2 and Assessment.objects.count() == 3


def test_a_file_with_problems_is_not_read_again_when_the_button_is_forced(
        org_a, people, login, data_file, monkeypatch):
    counting = _Counting()
    monkeypatch.setattr(views_imports, "run_import", counting)
    client = login(org_a, "interviewer")
    url = _upload(client, data_file("kobo_missing_columns.csv"), "k.csv")["Location"]
    response = client.post(url)
    assert "Nothing was imported: see the problems below." in response.content.decode()
    assert counting.calls == 1 and Assessment.objects.count() == 0


def test_checking_again_is_asked_for_with_its_own_button(org_a, people, login, data_file,
                                                         monkeypatch):
    from empower.web.people.models import ConsentDecision

    decisions = list(ConsentDecision.objects.filter(consent__participant=people["P-N2C8RF"]))
    ConsentDecision.objects.filter(pk__in=[d.pk for d in decisions]).delete()
    counting = _Counting()
    monkeypatch.setattr(views_imports, "run_import", counting)
    client = login(org_a, "interviewer")
    url = _upload(client, data_file("kobo_export.csv"), "k.csv")["Location"]
    assert "No consent record covers this interview" in client.get(url).content.decode()
    ConsentDecision.objects.bulk_create(decisions)  # consent recorded in Empower meanwhile
    assert "No consent record" in client.get(url).content.decode()  # as it was checked
    assert counting.calls == 1
    assert client.post(url + "?check=1")["Location"] == url
    page = client.get(url).content.decode()
    assert counting.calls == 2
    assert "No consent record" not in page and "Import 3 interviews" in page


@override_settings(EMPOWER_IMPORT_MAX_ROWS=2)
def test_more_rows_than_the_site_checks_are_refused(org_a, people, login, data_file):
    client = login(org_a, "interviewer")
    url = _upload(client, data_file("kobo_export.csv"), "k.csv")["Location"]
    page = html.unescape(client.get(url).content.decode())
    assert ("The file holds more than 2 submissions, more than Empower checks at once. Export "
            "fewer at a time (for example one month), so that each file holds at most 2, and "
            "import each file.") in page
    assert "<strong>1</strong>problem with the file as a whole" in page
    assert "<strong>0</strong>with problems" in page


def test_a_csv_larger_than_the_site_reads_is_refused_before_it_is_parsed(org_a, people):
    data = (HEADER + ROW * (2 * MIB // len(ROW) + 1))[:2 * MIB]
    limits = imports.Limits(table_bytes=1 * MIB, rows=100)
    outcome = run_import(organisation=org_a, data=data, filename="big.csv", source="odk",
                         limits=limits)
    assert [p.message for p in outcome.errors] == [
        "big.csv holds 2 MB of text; Empower reads at most 1 MB from one file. Export fewer "
        "submissions at a time (for example one month), so that each file stays under 1 MB, "
        "and import each file."]
    assert outcome.rows == []


def test_an_import_past_its_time_is_stopped_and_writes_nothing(org_a, people, data_file,
                                                               monkeypatch):
    class Late(Deadline):
        """A deadline that passed ten minutes ago."""

        def __init__(self, seconds: float) -> None:
            super().__init__(seconds, start=time.monotonic() - 600)

    monkeypatch.setattr(imports, "Deadline", Late)
    outcome = run_import(organisation=org_a, data=data_file("kobo_export.csv"),
                         filename="k.csv", source=None, dry_run=False, time_limit=60)
    assert [p.message for p in outcome.errors] == [
        "Checking this file took longer than 60 seconds, so it was stopped and nothing was "
        "imported. Export fewer submissions at a time (for example one month), and import "
        "each file."]
    assert not outcome.written and outcome.rows == []
    assert Assessment.objects.count() == 0 and ImportedSubmission.objects.count() == 0
