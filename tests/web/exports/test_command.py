"""``empower export``: files, exit codes, audit with the command line as the actor."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from empower.web.audit.models import AuditEntry

from .conftest import ladder, research

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(org_a, org_b, person, interview):
    mine, theirs = person(org_a), person(org_b)
    interview(mine, ladder(4))
    interview(theirs, ladder(9))
    return mine, theirs


def test_writes_the_file_and_audits_it(org_a, recorded, tmp_path):
    out = tmp_path / "scores.csv"
    call_command("export", "scores", "--organisation", "org-a", "--format", "csv",
                 "--purpose", "research", "--output", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["participant"] for r in rows} == {research(recorded[0])}
    assert len(rows) == 4
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor is None and entry.organisation == org_a
    assert entry.target_type == "export" and entry.target_id == "scores"
    assert entry.detail == {"format": "csv", "purpose": "research", "rows": 4,
                            "audience": "external", "to": "file"}


def test_aggregates_as_xlsx_for_a_shared_audience(org_a, recorded, tmp_path):
    out = tmp_path / "totals.xlsx"
    call_command("export", "aggregates", "--organisation", "org-a", "--format", "xlsx",
                 "--purpose", "sharing", "--audience", "shared", "--output", str(out))
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["aggregates", "variables", "notes"]
    assert AuditEntry.objects.get(action="export").detail["audience"] == "external"


@pytest.mark.parametrize("arguments", [
    ["assessments", "--organisation", "nobody", "--format", "csv", "--purpose", "research"],
    ["assessments", "--organisation", "org-a", "--format", "csv", "--purpose", "sharing"],
    ["htcds", "--organisation", "org-a", "--format", "sav", "--purpose", "research"],
    ["aggregates", "--organisation", "org-a", "--format", "hxl", "--purpose", "sharing",
     "--audience", "staff"],
    ["assessments", "--organisation", "org-a", "--format", "csv", "--purpose", "research",
     "--audience", "staff"],
])
def test_wrong_arguments_exit_2(org_a, recorded, tmp_path, arguments):
    out = tmp_path / "x"
    with pytest.raises(CommandError) as raised:
        call_command("export", *arguments, "--output", str(out))
    assert raised.value.returncode == 2
    assert not out.exists()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_nothing_to_export_exits_1_and_writes_nothing(org_a, person, tmp_path):
    person(org_a)  # consent, but no interview yet
    out = tmp_path / "a.sav"
    with pytest.raises(CommandError) as raised:
        call_command("export", "assessments", "--organisation", "org-a", "--format", "sav",
                     "--purpose", "own_reporting", "--output", str(out))
    assert raised.value.returncode == 1
    assert "Nothing to export" in str(raised.value)
    assert not out.exists()


def test_a_file_that_cannot_be_written_exits_1_and_leaves_nothing(org_a, recorded, tmp_path):
    target = tmp_path / "a-folder"
    target.mkdir()
    with pytest.raises(CommandError) as raised:
        call_command("export", "scores", "--organisation", "org-a", "--format", "csv",
                     "--purpose", "own_reporting", "--output", str(target))
    assert raised.value.returncode == 1
    assert "could not write" in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["a-folder"]  # no temporary file left
    assert not AuditEntry.objects.filter(action="export").exists()


def test_written_file_is_readable_by_its_owner_only(org_a, recorded, tmp_path):
    out = tmp_path / "s.csv"
    call_command("export", "scores", "--organisation", "org-a", "--format", "csv",
                 "--purpose", "own_reporting", "--output", str(out))
    assert out.stat().st_mode & 0o077 == 0
