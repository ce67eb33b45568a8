"""``empower import kobo|odk FILE``: exit codes and what is written."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from empower.web.assessments.models import Assessment
from empower.web.audit.models import AuditEntry
from empower.web.fieldwork.models import ImportedSubmission

from .conftest import DATA


def run(*args):
    out = StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def test_import_then_again(org_a, people, make_member):
    user = make_member(org_a, "interviewer", username="field-lead")
    out = run("kobo", str(DATA / "kobo_export.xlsx"), "--organisation", "org-a",
              "--user", "field-lead")
    assert "3 added, 0 already imported (skipped), 0 with problems" in out
    assert Assessment.objects.filter(interviewer=user).count() == 3
    entry = AuditEntry.objects.get(action="import")
    assert entry.actor == user and entry.organisation == org_a
    assert entry.detail["added"] == 3 and entry.detail["via"] == "command"

    out = run("kobo", str(DATA / "kobo_api_v2.json"), "--organisation", "org-a")
    assert "0 added, 3 already imported (skipped)" in out
    assert Assessment.objects.count() == 3 and ImportedSubmission.objects.count() == 3


def test_odk_zip_and_dry_run(org_a, people):
    out = run("odk", str(DATA / "odk_central.zip"), "--organisation", "org-a", "--dry-run")
    assert "ODK Central export (zip of CSV files)" in out
    assert "3 would add" in out and "dry run, nothing was written" in out
    assert Assessment.objects.count() == 0 and not AuditEntry.objects.filter(action="import")
    run("odk", str(DATA / "odk_central.zip"), "--organisation", "org-a")
    assert sum(len(a.services) for a in Assessment.objects.all()) == 3


def test_problems_exit_1_and_write_nothing(org_a, people):
    people["P-3HW9TD"].delete()
    with pytest.raises(CommandError) as error:
        run("kobo", str(DATA / "kobo_wrong_types.csv"), "--organisation", "org-a")
    assert error.value.returncode == 1
    assert Assessment.objects.count() == 0 and ImportedSubmission.objects.count() == 0


def test_problem_table_names_rows_and_columns(org_a, people):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import", "kobo", str(DATA / "kobo_duplicate_ids.csv"),
                     "--organisation", "org-a", stdout=out)
    text = out.getvalue()
    assert "duplicate submission id, also in row 4" in text
    assert "duplicate submission id, also in row 2" in text


@pytest.mark.parametrize("args", [
    ("excel", str(DATA / "kobo_export.csv"), "--organisation", "org-a"),
    ("kobo", str(DATA / "no_such_file.csv"), "--organisation", "org-a"),
    ("kobo", str(DATA / "kobo_export.csv")),
    ("kobo", str(DATA / "kobo_export.csv"), "--organisation", "no-such-org"),
    ("kobo", str(DATA / "kobo_export.csv"), "--organisation", "org-a",
     "--instrument", "empowerment-interview@9.9"),
    ("kobo", str(DATA / "kobo_export.csv"), "--organisation", "org-a", "--user", "b-worker"),
    ("kobo", str(DATA / "kobo_export.csv"), "--organisation", "org-a", "--user", "a-analyst"),
])
def test_wrong_arguments_exit_2(args, org_a, org_b, people, make_member):
    make_member(org_b, "interviewer", username="b-worker")
    make_member(org_a, "analyst", username="a-analyst")
    with pytest.raises(CommandError) as error:
        run(*args)
    assert error.value.returncode == 2
    assert Assessment.objects.count() == 0


def test_a_file_that_is_not_what_it_claims_exits_1(org_a, people):
    with pytest.raises(CommandError) as error:
        run("kobo", str(DATA / "not_json.json"), "--organisation", "org-a")
    assert error.value.returncode == 1
