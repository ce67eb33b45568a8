"""The export pages: roles, download, audit, isolation, nothing to export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from empower.web.audit.models import AuditEntry

from .conftest import ladder

pytestmark = pytest.mark.django_db

RECORDS = {"dataset": "assessments", "format": "csv", "purpose": "own_reporting"}
TOTALS = {"format": "hxl", "purpose": "own_reporting", "audience": "staff"}


@pytest.fixture
def two_orgs(org_a, org_b, person, interview):
    mine = person(org_a)
    theirs = person(org_b, region_of_origin="Other-org region 9090")
    interview(mine, ladder(6))
    interview(theirs, ladder(8))
    return mine, theirs


@pytest.mark.parametrize("role", ["admin", "interviewer", "analyst", "viewer"])
def test_totals_page_opens_for_every_report_reader(login, org_a, role):
    response = login(org_a, role).get(reverse("export_list"))
    assert response.status_code == 200
    assert (reverse("export_records") in response.content.decode()) is (
        role in ("admin", "analyst"))


@pytest.mark.parametrize("role", ["interviewer", "viewer"])
def test_records_are_refused_to_interviewers_and_viewers(login, org_a, two_orgs, role):
    client = login(org_a, role)
    assert client.get(reverse("export_records")).status_code == 403
    assert client.post(reverse("export_records"), RECORDS).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_totals_form_cannot_ask_for_records(login, org_a, two_orgs):
    response = login(org_a, "viewer").post(reverse("export_list"),
                                           {**TOTALS, "dataset": "assessments"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert two_orgs[0].code not in text  # totals only, never a participant code
    assert text.splitlines()[1].startswith("#meta+instrument")


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_download_is_streamed_named_and_audited(login, org_a, two_orgs, role):
    response = login(org_a, role).post(reverse("export_records"), RECORDS)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "empower-org-a-assessments-own_reporting-" in disposition and ".csv" in disposition
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    mine, theirs = two_orgs
    assert mine.code in text
    assert theirs.code not in text and "Other-org region 9090" not in text
    entry = AuditEntry.objects.get(action="export")
    assert entry.target_type == "export" and entry.target_id == "assessments"
    assert entry.organisation == org_a and entry.actor.get_username() == f"org-a-{role}"
    assert entry.detail["format"] == "csv" and entry.detail["purpose"] == "own_reporting"
    assert entry.detail["rows"] == 1 and entry.detail["audience"] == "internal"


def test_viewer_totals_are_protected_for_viewers(login, org_a, two_orgs):
    response = login(org_a, "viewer").post(reverse("export_list"), TOTALS)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    # one participant, threshold 5: every number is withheld
    assert "all numbers withheld" in text
    assert AuditEntry.objects.get(action="export").detail["audience"] == "viewer"


def test_other_organisation_never_appears_in_totals(login, org_b, two_orgs):
    response = login(org_b, "analyst").post(reverse("export_list"), TOTALS)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[2:]
    healing = next(r for r in rows if r[2] == "healing")
    assert healing[4] == "1" and float(healing[5]) == pytest.approx(700 / 9, abs=0.01)


def test_nothing_to_export_says_so(login, org_a):
    response = login(org_a, "analyst").post(reverse("export_records"), RECORDS)
    assert response.status_code == 200
    assert "nothing to export" in response.content.decode().lower()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_purpose_consent_does_not_allow_is_refused_on_the_form(login, org_a, two_orgs):
    response = login(org_a, "admin").post(reverse("export_records"),
                                          {**RECORDS, "purpose": "sharing"})
    assert response.status_code == 200 and "attachment" not in response.get(
        "Content-Disposition", "")
    response = login(org_a, "analyst", username="a2").post(
        reverse("export_list"), {**TOTALS, "purpose": "sharing", "audience": "staff"})
    assert "totals for sharing" in response.content.decode()


def test_the_totals_page_names_file_types_in_plain_words(login, org_a):
    page = login(org_a, "analyst").get(reverse("export_list")).content.decode()
    assert "HXL hashtags" not in page
    assert "CSV table, tagged for humanitarian data sites (HXL)" in page
    assert "Humanitarian Exchange Language" in page


def test_the_records_page_explains_htcds_and_spss_without_file_endings(login, org_a):
    page = login(org_a, "analyst").get(reverse("export_records")).content.decode()
    assert "HTCDS case-data standard" not in page and "(.sav)" not in page
    assert "the shared format for trafficking case data (HTCDS)" in page
    assert "SPSS data file" in page
