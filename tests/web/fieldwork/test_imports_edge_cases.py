"""Edge cases of importing, each from a hand-made file: submissions edited before their first
import, a file from the other tool, and how skipped rows and file problems are counted."""

from __future__ import annotations

import html
import importlib
import io
import json
from io import StringIO

import openpyxl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from empower.web.assessments.models import Assessment
from empower.web.fieldwork.imports import run_import
from empower.web.fieldwork.models import ImportedSubmission, ImportedSubmissionId

from .conftest import DATA

ROOT = "5b8f0a3c-2d1e-4f6a-9b7c-3e2d1f0a9b8c"  # the first submission of the files in data/
FIRST_EDIT = "11111111-1111-4111-8111-111111111111"
SECOND_EDIT = "22222222-2222-4222-8222-222222222222"


def _run(org, data, name, source=None, dry_run=False):
    return run_import(organisation=org, data=data, filename=name, source=source,
                      dry_run=dry_run)


def _command(*args):
    """What the command printed (its line breaks and table borders, made for the terminal's
    width, taken out) and the error it ended with."""
    out, error = StringIO(), None
    try:
        call_command("import", *args, stdout=out)
    except CommandError as raised:
        error = raised
    return " ".join(out.getvalue().replace("│", " ").split()), error


def _edited_twice_json() -> bytes:
    """Kobo's API data, the first submission edited twice in KoboToolbox before anyone
    imported it: ``_uuid`` is the second edit's, ``deprecatedID`` the first edit's."""
    document = json.loads((DATA / "kobo_api_v2.json").read_bytes())
    first = document["results"][0]
    assert first["meta/rootUuid"] == f"uuid:{ROOT}"
    first["_uuid"] = SECOND_EDIT
    first["meta/instanceID"] = f"uuid:{SECOND_EDIT}"
    first["meta/deprecatedID"] = f"uuid:{FIRST_EDIT}"
    return json.dumps(document).encode()


def _csv_with_id(new_id: str) -> bytes:
    """Kobo's CSV export (which has no ``meta/rootUuid`` column), the first submission carrying
    ``new_id`` as its ``_uuid`` and ``meta/instanceID``."""
    data = (DATA / "kobo_export.csv").read_bytes()
    assert b"rootUuid" not in data and data.count(ROOT.encode()) == 2
    return data.replace(ROOT.encode(), new_id.encode())


def _xlsx_with_id(new_id: str) -> bytes:
    """Kobo's Excel export (no ``meta/rootUuid`` either), likewise."""
    book = openpyxl.load_workbook(DATA / "kobo_export.xlsx")
    headers = [c.value for c in book.worksheets[0][1]]
    assert not any("rootUuid" in (h or "") for h in headers)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and ROOT in cell.value:
                    cell.value = cell.value.replace(ROOT, new_id)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- 1. every id


def test_every_id_of_an_edited_submission_is_remembered(org_a, people):
    assert _run(org_a, _edited_twice_json(), "k.json").added == 3
    imported = ImportedSubmission.objects.get(submission_id=ROOT)
    assert set(imported.known_ids.values_list("value", flat=True)) == {
        ROOT, FIRST_EDIT, SECOND_EDIT}
    # The two others were never edited: one id each.
    assert ImportedSubmissionId.objects.count() == 5


@pytest.mark.parametrize(("name", "make"), [("k.csv", _csv_with_id), ("k.xlsx", _xlsx_with_id)])
@pytest.mark.parametrize("carried", [SECOND_EDIT, FIRST_EDIT])
def test_an_edited_submission_is_not_imported_again_from_a_file_without_its_root_id(
        name, make, carried, org_a, people):
    _run(org_a, _edited_twice_json(), "k.json")
    again = _run(org_a, make(carried), name)
    assert again.errors == [] and again.added == 0
    assert [r.reason for r in again.rows] == ["imported", "imported", "imported"]
    assert Assessment.objects.count() == 3 and ImportedSubmission.objects.count() == 3


def test_the_ids_kept_before_are_copied_by_the_migration(org_a, people):
    _run(org_a, (DATA / "kobo_api_v2.json").read_bytes(), "k.json")
    ImportedSubmissionId.objects.all().delete()  # as before the migration
    migration = importlib.import_module(
        "empower.web.fieldwork.migrations.0002_every_submission_id_and_stored_dry_run")
    migration.copy_submission_ids(apps, None)
    assert sorted(ImportedSubmissionId.objects.values_list("value", "imported__submission_id")) \
        == sorted([(ROOT, ROOT), ("a41c7e92-6f3b-4d85-8e1a-0c9b7d6e5f42",) * 2,
                   ("e0d9c8b7-a6f5-4e3d-9c2b-1a0f9e8d7c6b",) * 2])
    assert {i.organisation_id for i in ImportedSubmissionId.objects.all()} == {org_a.pk}
    assert _run(org_a, (DATA / "kobo_export.csv").read_bytes(), "k.csv").added == 0


# --------------------------------------------------------------------------- 2. other tool


def test_kobo_chosen_for_an_odk_zip_is_refused_and_writes_nothing(org_a, people):
    # The third submission of this file was rejected by a reviewer in ODK Central.
    out, error = _command("kobo", str(DATA / "odk_central_real.zip"), "--organisation",
                          "org-a")
    assert error is not None and error.returncode == 1
    assert "This looks like an ODK Central export: choose ODK Central" in out
    assert "empower import odk" in out
    assert Assessment.objects.count() == 0 and ImportedSubmission.objects.count() == 0


def test_kobo_chosen_for_an_odk_csv_is_refused_naming_odk_central(org_a, people):
    outcome = _run(org_a, (DATA / "odk_central.csv").read_bytes(), "central.csv",
                   source="kobo")
    assert not outcome.written and outcome.rows == []
    assert len(outcome.errors) == 1
    assert outcome.errors[0].message == (
        "This file looks like an export from ODK Central (only ODK Central writes this "
        "column), but KoboToolbox was chosen. Nothing was read from it. Choose ODK Central "
        "(on the command line: empower import odk).")
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize("name", ["kobo_export.csv", "kobo_export.xlsx", "kobo_api_v2.json"])
def test_odk_chosen_for_a_kobo_file_is_refused_naming_kobo(name, org_a, people):
    out, error = _command("odk", str(DATA / name), "--organisation", "org-a")
    assert error is not None and error.returncode == 1
    assert "Choose KoboToolbox" in out
    assert "1 problem with the file as a whole" in out
    assert Assessment.objects.count() == 0


# --------------------------------------------------------------------------- 3. counted apart


def test_rows_skipped_by_review_are_not_counted_as_already_imported(org_a, people, login):
    data = (DATA / "odk_central_real.zip").read_bytes()
    outcome = _run(org_a, data, "central.zip", dry_run=True)
    assert (outcome.to_add, outcome.already_imported, outcome.edited_since_import,
            outcome.skipped_by_review, outcome.skipped) == (2, 0, 0, 1, 1)

    out, error = _command("odk", str(DATA / "odk_central_real.zip"), "--organisation",
                          "org-a", "--dry-run")
    assert error is None
    assert ("2 would add, 0 already imported (skipped), 0 with problems, 1 skipped by review "
            "(rejected or not approved) — dry run, nothing was written") in out

    client = login(org_a, "interviewer")
    response = client.post(reverse("import_upload"),
                           {"file": SimpleUploadedFile("central.zip", data)})
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "<strong>0</strong>already imported (skipped)" in page
    assert "<strong>1</strong>rejected in review (skipped)" in page
    assert "rejected in ODK Central (skipped)" in page  # the row itself


def test_edited_and_already_imported_are_counted_apart(org_a, people):
    _run(org_a, (DATA / "odk_central.zip").read_bytes(), "central.zip")
    # The same interviews later: the first edited in Central, the third rejected since (it
    # was imported before the reviewer's decision, so it stays: already imported).
    out, error = _command("odk", str(DATA / "odk_central_real.zip"), "--organisation",
                          "org-a")
    assert error is None
    assert ("0 added, 2 already imported (skipped), 0 with problems, 1 imported before, "
            "edited since (skipped)") in out
    assert "skipped by review" not in out


# --------------------------------------------------------------------------- 4. same version


def test_importing_an_edited_submission_again_says_already_imported(org_a, people):
    first = _run(org_a, _edited_twice_json(), "k.json")
    assert first.added == 3
    again = _run(org_a, _edited_twice_json(), "k.json")
    assert [(r.reason, str(r.note)) for r in again.rows] == [("imported", "already imported")] * 3


def test_importing_an_odk_file_with_an_edit_again_says_already_imported(org_a, people):
    assert _run(org_a, (DATA / "odk_central_real.zip").read_bytes(), "c.zip").added == 2
    again = _run(org_a, (DATA / "odk_central_real.zip").read_bytes(), "c.zip")
    assert [r.reason for r in again.rows] == ["imported", "imported", "rejected"]


# --------------------------------------------------------------------------- 5. file problems


@pytest.mark.parametrize(("name", "problems"), [
    ("kobo_missing_columns.csv", 2),  # participant_code and _uuid
    ("empty.csv", 1),
    ("not_json.json", 1),
])
def test_file_problems_are_counted_in_the_summary(name, problems, org_a, people):
    out, error = _command("kobo", str(DATA / name), "--organisation", "org-a")
    assert error is not None and error.returncode == 1
    plural = "problem" if problems == 1 else "problems"
    # Nothing was written, so nothing "added": the count is of what the file would add.
    assert (f"0 would add, 0 already imported (skipped), 0 with problems, {problems} {plural} "
            f"with the file as a whole") in out
    assert str(error) == f"{problems} {plural}; nothing was written."


def test_row_and_file_problems_add_up(org_a, people):
    out, error = _command("kobo", str(DATA / "kobo_duplicate_ids.csv"), "--organisation",
                          "org-a")
    # Rows 2 and 4 share an id: one problem each, none with the file as a whole.
    assert "2 with problems" in out and "with the file as a whole" not in out
    assert str(error) == "2 problems; nothing was written."
