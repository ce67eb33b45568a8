"""Imports that must stay safe: edits and reviewers' decisions in the tools, a submission saved
by someone else half-way through, hostile cell values on the page, CSRF, and long lists."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from empower.web.assessments.models import Assessment
from empower.web.fieldwork.imports import SAVED_MEANWHILE, run_import
from empower.web.fieldwork.models import ImportedSubmission, PendingImport

IDS = ["5b8f0a3c-2d1e-4f6a-9b7c-3e2d1f0a9b8c", "a41c7e92-6f3b-4d85-8e1a-0c9b7d6e5f42",
       "e0d9c8b7-a6f5-4e3d-9c2b-1a0f9e8d7c6b"]


def _run(org, data, name, **options):
    return run_import(organisation=org, data=data, filename=name, source=None,
                      dry_run=options.pop("dry_run", False), **options)


def _upload(client, data, name):
    return client.post(reverse("import_upload"), {"file": SimpleUploadedFile(name, data)})


# --------------------------------------------------------------------------- edits, reviews


def test_a_submission_edited_in_odk_central_is_not_imported_twice(org_a, people, data_file):
    first = _run(org_a, data_file("odk_central.zip"), "o.zip")
    assert first.added == 3
    # The same interviews downloaded later: the first was edited in Central (new
    # meta-instanceID, same KEY), the third rejected by a reviewer.
    again = _run(org_a, data_file("odk_central_real.zip"), "empowerment-interview.csv.zip")
    assert again.errors == [] and again.added == 0
    assert [r.reason for r in again.rows] == ["earlier_version", "imported", "imported"]
    assert Assessment.objects.count() == 3


def test_a_submission_rejected_by_a_reviewer_is_skipped(org_a, people, data_file):
    outcome = _run(org_a, data_file("odk_central_real.zip"), "empowerment-interview.csv.zip")
    assert outcome.errors == [] and outcome.added == 2
    assert [(r.status, r.reason) for r in outcome.rows] == [
        ("added", ""), ("added", ""), ("skipped", "rejected")]
    assert not Assessment.objects.filter(participant__code="P-N2C8RF").exists()
    # KEY, the id that survives edits, is what is remembered.
    assert set(ImportedSubmission.objects.values_list("submission_id", flat=True)) == {
        IDS[0], IDS[1]}


def test_a_kobo_submission_edited_twice_after_its_import_is_skipped(org_a, people,
                                                                     data_file):
    _run(org_a, data_file("kobo_api_v2.json"), "k.json")
    document = json.loads(data_file("kobo_api_v2.json"))
    edited = document["results"][0]
    # Second edit: deprecatedID names the first edit, which Empower never saw; rootUuid stays.
    edited["_uuid"] = "33333333-3333-4333-8333-333333333333"
    edited["meta/instanceID"] = "uuid:33333333-3333-4333-8333-333333333333"
    edited["meta/deprecatedID"] = "uuid:22222222-2222-4222-8222-222222222222"
    outcome = _run(org_a, json.dumps(document).encode(), "k.json")
    assert outcome.added == 0 and outcome.rows[0].reason == "earlier_version"
    assert Assessment.objects.count() == 3


def test_a_kobo_submission_not_approved_is_skipped(org_a, people, data_file):
    document = json.loads(data_file("kobo_api_v2.json"))
    document["results"][2]["_validation_status"] = {
        "uid": "validation_status_not_approved", "label": "Not approved"}
    outcome = _run(org_a, json.dumps(document).encode(), "k.json")
    assert outcome.added == 2 and outcome.rows[2].reason == "rejected"


# --------------------------------------------------------------------------- database


def test_a_submission_saved_by_someone_else_meanwhile_is_a_row_problem(org_a, people,
                                                                        data_file):
    """Another import saves the second submission while this one runs (the unique constraint
    then refuses it). On PostgreSQL this would spoil the whole transaction without the row's
    savepoint; here it is a problem on that row, and nothing of this import is kept."""
    def meanwhile(done: int, total: int) -> None:
        if done == 1:
            ImportedSubmission.objects.create(
                organisation=org_a, source="kobo", submission_id=IDS[1],
                assessment=Assessment.objects.create(
                    participant=people["P-3HW9TD"], consent=people["P-3HW9TD"].consents.first(),
                    instrument_id="empowerment-interview", instrument_version="2.0",
                    conducted_on=timezone.localdate() - timedelta(days=1), language="en"))

    outcome = _run(org_a, data_file("kobo_api_v2.json"), "k.json", progress=meanwhile)
    assert outcome.written is False
    assert [(r.row, r.status) for r in outcome.rows] == [(1, "add"), (2, "problem"),
                                                          (3, "add")]
    assert outcome.rows[1].problems[0].message == SAVED_MEANWHILE
    assert Assessment.objects.count() == 0 and ImportedSubmission.objects.count() == 0


# --------------------------------------------------------------------------- the pages


def test_cell_values_and_file_names_are_escaped_on_the_page(org_a, people, login, data_file):
    document = json.loads(data_file("kobo_api_v2.json"))
    document["results"][0]["interview_language"] = "<script>alert('lang')</script>"
    document["results"][1]["participant_code"] = '"><img src=x onerror=alert(1)>'
    client = login(org_a, "interviewer")
    _upload(client, json.dumps(document).encode(), "<i onclick=x>k.json")
    page = client.get(reverse("import_review", args=[PendingImport.objects.get().pk]))
    text = page.content.decode()
    assert "<script>alert" not in text and "<img src=x" not in text and "<i onclick" not in text
    assert "&lt;script&gt;alert(&#x27;lang&#x27;)&lt;/script&gt;" in text
    assert "&lt;i onclick=x&gt;k.json" in text


def test_posting_without_the_csrf_token_is_refused(org_a, people, make_member, data_file):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member(org_a, "interviewer"))
    refused = _upload(client, data_file("kobo_api_v2.json"), "k.json")
    assert refused.status_code == 403 and not PendingImport.objects.exists()

    page = client.get(reverse("import_upload")).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    client.post(reverse("import_upload"), {
        "file": SimpleUploadedFile("k.json", data_file("kobo_api_v2.json")),
        "csrfmiddlewaretoken": token})
    pending = PendingImport.objects.get()
    assert client.post(reverse("import_review", args=[pending.pk])).status_code == 403
    assert client.post(reverse("import_discard", args=[pending.pk])).status_code == 403
    assert Assessment.objects.count() == 0 and PendingImport.objects.count() == 1


def test_expired_uploads_are_deleted_on_any_import_page(org_a, org_b, people, login,
                                                        make_member, data_file):
    client = login(org_a, "interviewer")
    _upload(client, data_file("kobo_api_v2.json"), "k.json")
    fresh = PendingImport.objects.get()
    PendingImport.objects.create(organisation=org_b, user=make_member(org_b, "interviewer"),
                                 filename="old.json", content="x")
    PendingImport.objects.filter(organisation=org_b).update(
        created_at=timezone.now() - timedelta(days=2))
    client.get(reverse("import_review", args=[fresh.pk]))
    assert list(PendingImport.objects.all()) == [fresh]


def test_thousands_of_problems_are_cut_short_on_the_page(org_a, people, login):
    header = "_uuid,instrument,participant_code,conducted_on,interview_language"
    rows = [f"u-{n},empowerment-scales@1.0,P-7KQ4MX,2026-03-14,xx" for n in range(250)]
    client = login(org_a, "interviewer")
    _upload(client, ("\n".join([header, *rows]) + "\n").encode(), "many.csv")
    page = client.get(reverse("import_review", args=[PendingImport.objects.get().pk]))
    text = page.content.decode()
    assert page.status_code == 200
    problems = text.split('<table class="import-problems">', 1)[1].split("</table>", 1)[0]
    assert problems.count("<tr>") == 201  # the header and the first 200
    assert "and 50 more" in text or "and 250 more" in text


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_other_roles_cannot_open_someone_elses_upload(role, org_a, people, login, make_member,
                                                      data_file):
    owner = Client()
    owner.force_login(make_member(org_a, "interviewer"))
    _upload(owner, data_file("kobo_api_v2.json"), "k.json")
    pending = PendingImport.objects.get()
    client = login(org_a, role)
    for url in (reverse("import_review", args=[pending.pk]),
                reverse("import_discard", args=[pending.pk])):
        assert client.get(url).status_code in (403, 404)
        assert client.post(url).status_code in (403, 404)
    assert PendingImport.objects.filter(pk=pending.pk).exists()
