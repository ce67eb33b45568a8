"""The import pages: upload, dry run, import; roles, isolation and encryption at rest."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from empower.web.assessments.models import Assessment
from empower.web.audit.models import AuditEntry
from empower.web.fieldwork.models import ImportedSubmission, PendingImport


def _upload(client, data, name, **fields):
    return client.post(reverse("import_upload"),
                       {"file": SimpleUploadedFile(name, data), **fields})


@pytest.mark.parametrize("role", ["interviewer", "admin"])
def test_upload_dry_run_then_import(role, org_a, people, login, data_file):
    client = login(org_a, role)
    assert client.get(reverse("import_upload")).status_code == 200
    response = _upload(client, data_file("kobo_export.xlsx"), "export.xlsx")
    pending = PendingImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_review", args=[pending.pk])

    page = client.get(response["Location"]).content.decode()
    assert "KoboToolbox Excel (XLSX) export" in page
    assert "worked out from the file" in page
    for code in ("P-7KQ4MX", "P-3HW9TD", "P-N2C8RF"):
        assert code in page
    assert page.count("would add") == 3
    assert "Import 3 interviews" in page
    assert '<div class="scroll">' in page  # the table scrolls on a 360-px phone
    assert Assessment.objects.count() == 0

    done = client.post(reverse("import_review", args=[pending.pk]))
    assert done.status_code == 200
    assert Assessment.objects.filter(participant__organisation=org_a).count() == 3
    assert ImportedSubmission.objects.filter(organisation=org_a).count() == 3
    assert not PendingImport.objects.exists()  # the uploaded answers are gone
    entry = AuditEntry.objects.get(action="import")
    assert entry.organisation == org_a and entry.target_type == "import"
    assert entry.target_id.startswith("sha256:")
    assert entry.detail == {"source": "kobo", "format": "xlsx", "added": 3, "skipped": 0,
                            "via": "web"}
    assert entry.actor.membership.role == role


def test_the_same_file_again_says_already_imported(org_a, people, login, data_file):
    client = login(org_a, "interviewer")
    _upload(client, data_file("kobo_api_v2.json"), "data.json")
    client.post(reverse("import_review", args=[PendingImport.objects.get().pk]))
    _upload(client, data_file("kobo_api_v2.json"), "data.json")
    page = client.get(reverse("import_review", args=[PendingImport.objects.get().pk]))
    text = page.content.decode()
    assert text.count("already imported (skipped)") >= 3
    assert "There is nothing new to import" in text
    assert "Import 3" not in text


def test_the_chosen_source_is_used(org_a, people, login, data_file):
    client = login(org_a, "interviewer")
    _upload(client, data_file("odk_central.csv"), "central.csv", source="odk",
            instrument="empowerment-interview@2.0")
    pending = PendingImport.objects.get()
    assert (pending.source, pending.instrument) == ("odk", "empowerment-interview@2.0")
    page = client.get(reverse("import_review", args=[pending.pk])).content.decode()
    assert "ODK Central CSV export" in page and "worked out from the file" not in page
    assert "no services data" in page  # a plain CSV: said in the dry run


def test_missing_consent_is_shown_and_nothing_is_written(org_a, people, login, data_file):
    from empower.web.people.models import ConsentDecision

    ConsentDecision.objects.filter(consent__participant=people["P-N2C8RF"]).delete()
    client = login(org_a, "interviewer")
    _upload(client, data_file("kobo_export.csv"), "k.csv")
    pending = PendingImport.objects.get()
    page = client.get(reverse("import_review", args=[pending.pk])).content.decode()
    assert "No consent record covers this interview" in page
    assert "Import 3" not in page and "Import 2" not in page
    response = client.post(reverse("import_review", args=[pending.pk]))
    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    assert Assessment.objects.count() == 0 and ImportedSubmission.objects.count() == 0
    assert not AuditEntry.objects.filter(action="import").exists()


def test_another_organisations_code_is_not_matched(org_a, org_b, make_participant, login,
                                                   data_file, consent_factory):
    for code in ("P-7KQ4MX", "P-3HW9TD", "P-N2C8RF"):
        consent_factory(make_participant(org_b, consent=False, code=code), "interview",
                        days_ago=400)
    client = login(org_a, "interviewer")
    _upload(client, data_file("kobo_api_v2.json"), "k.json")
    pending = PendingImport.objects.get()
    page = client.get(reverse("import_review", args=[pending.pk])).content.decode()
    assert page.count("no participant with this code in your organisation") == 3
    client.post(reverse("import_review", args=[pending.pk]))
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_analysts_and_viewers_may_not_import(role, org_a, people, login, data_file,
                                             make_member):
    owner = make_member(org_a, "interviewer", username="owner")
    pending = PendingImport(organisation=org_a, user=owner, filename="k.json")
    pending.data = data_file("kobo_api_v2.json")
    pending.save()
    client = login(org_a, role)
    assert client.get(reverse("import_upload")).status_code == 403
    assert _upload(client, data_file("kobo_api_v2.json"), "k.json").status_code == 403
    for name in ("import_review", "import_discard"):
        assert client.get(reverse(name, args=[pending.pk])).status_code == 403
        assert client.post(reverse(name, args=[pending.pk])).status_code == 403
    assert Assessment.objects.count() == 0 and PendingImport.objects.count() == 1


def test_someone_elses_pending_import_is_404(org_a, org_b, people, login, data_file,
                                             make_member):
    client = login(org_a, "interviewer")
    others = [
        PendingImport(organisation=org_b, user=make_member(org_b, "interviewer"),
                      filename="theirs.json"),
        PendingImport(organisation=org_a, user=make_member(org_a, "interviewer",
                                                           username="colleague"),
                      filename="colleague.json"),
    ]
    for pending in others:
        pending.data = data_file("kobo_api_v2.json")
        pending.save()
        for name in ("import_review", "import_discard"):
            assert client.get(reverse(name, args=[pending.pk])).status_code in (404, 405)
            assert client.post(reverse(name, args=[pending.pk])).status_code == 404
    page = client.get(reverse("import_upload")).content.decode()
    assert "theirs.json" not in page and "colleague.json" not in page
    assert PendingImport.objects.count() == 2 and Assessment.objects.count() == 0


def test_the_uploaded_file_is_encrypted_at_rest(org_a, people, login, data_file):
    client = login(org_a, "interviewer")
    data = data_file("kobo_api_v2.json")
    _upload(client, data, "k.json")
    pending = PendingImport.objects.get()
    assert pending.data == data
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM fieldwork_pendingimport WHERE id = %s", [pending.pk])
        stored = cursor.fetchone()[0]
    assert "P-7KQ4MX" not in stored
    assert base64.b64encode(data).decode()[:40] not in stored


def test_discard_and_expiry_delete_the_upload(org_a, people, login, data_file):
    client = login(org_a, "interviewer")
    _upload(client, data_file("kobo_api_v2.json"), "k.json")
    pending = PendingImport.objects.get()
    response = client.post(reverse("import_discard", args=[pending.pk]))
    assert response.status_code == 302 and not PendingImport.objects.exists()

    _upload(client, data_file("kobo_api_v2.json"), "k.json")
    old = PendingImport.objects.get()
    PendingImport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=1, minutes=1))
    assert client.get(reverse("import_review", args=[old.pk])).status_code == 404
    client.get(reverse("import_upload"))
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize(("name", "message"), [
    ("not_json.json", "The file is not valid JSON"),
    ("not_excel.xlsx", "is not an Excel workbook"),
    ("kobo_missing_columns.csv", "missing column"),
])
def test_unusable_files_get_a_clear_message_not_an_error_page(name, message, org_a, people,
                                                              login, data_file):
    client = login(org_a, "interviewer")
    _upload(client, data_file(name), name)
    url = reverse("import_review", args=[PendingImport.objects.get().pk])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'action="{url}"' not in page  # no import button


def test_an_empty_upload_is_refused_by_the_form(org_a, login):
    client = login(org_a, "interviewer")
    response = _upload(client, b"", "empty.csv")
    assert response.status_code == 200
    assert not PendingImport.objects.exists()
