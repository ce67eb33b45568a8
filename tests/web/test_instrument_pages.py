"""The instruments page and the XLSForm download."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from pyxform.xls2xform import convert

from empower.instruments import get_instrument, read_xlsform
from empower.web.audit.log import Action
from empower.web.audit.models import AuditEntry

ROLES = ["admin", "interviewer", "analyst", "viewer"]


def _xlsform_url(instrument_id: str = "empowerment-interview", version: str = "2.0") -> str:
    return reverse("instrument_xlsform", args=[instrument_id, version])


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_list_with_download_links(role, org_a, login):
    response = login(org_a, role).get(reverse("instrument_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Download for KoboToolbox / ODK (XLSForm)" in page
    assert _xlsform_url() in page
    assert _xlsform_url("empowerment-scales", "1.0") in page
    assert "Empowerment interview" in page and "Version 2.0" in page
    quality = reverse("instrument_quality", args=["empowerment-interview", "2.0"])
    assert (quality in page) == (role in ("admin", "analyst"))


def test_the_download_is_the_instruments_xlsform_and_is_audited(org_a, login):
    client = login(org_a, "interviewer", username="field-worker")
    response = client.get(_xlsform_url())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    today = date.today().strftime("%Y%m%d")
    assert response["Content-Disposition"] == (
        f'attachment; filename="empowerment-interview-2.0-{today}01.xlsx"')
    warnings: list[str] = []
    xform = convert(response.content, warnings=warnings, file_type=".xlsx").xform
    assert warnings == []
    assert "'empowerment-interview@2.0'" in xform
    assert read_xlsform(response.content).instrument == get_instrument(
        "empowerment-interview", "2.0")
    entry = AuditEntry.objects.get(action=Action.DOWNLOAD)
    assert (entry.target_type, entry.target_id) == ("instrument", "empowerment-interview@2.0")
    assert entry.organisation == org_a
    assert entry.actor_username == "field-worker"


@pytest.mark.parametrize(
    ("instrument_id", "version"),
    [("empowerment-interview", "9.9"), ("no-such-instrument", "1.0")],
)
def test_unknown_instrument_or_version_is_not_found(org_a, login, instrument_id, version):
    response = login(org_a, "viewer").get(_xlsform_url(instrument_id, version))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=Action.DOWNLOAD).exists()


@pytest.mark.parametrize("url", [reverse("instrument_list"), _xlsform_url()])
def test_anonymous_visitors_are_sent_to_log_in(client, url, db):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not AuditEntry.objects.filter(action=Action.DOWNLOAD).exists()


def test_a_user_without_a_membership_is_refused(client, django_user_model, db):
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get(reverse("instrument_list")).status_code in (302, 403)
    assert client.get(_xlsform_url()).status_code in (302, 403)
