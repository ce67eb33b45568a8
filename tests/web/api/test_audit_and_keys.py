"""Reads of person-level data are audited; keys are made and revoked on the page and by the
command, shown once, and audited."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from empower.web.api.models import KEY_PATTERN, ApiKey
from empower.web.audit.models import AuditEntry


def _reads():
    return list(AuditEntry.objects.filter(action="api.read").order_by("sequence"))


def test_person_level_reads_are_audited_with_endpoint_and_count(
    org_a, key_client, make_participant, assess
):
    people = [make_participant(org_a) for _ in range(3)]
    for person in people:
        assess(person)
    client = key_client(org_a, "analyst")
    client.get("/api/participants/", {"page_size": 2})
    client.get("/api/scores/", {"axis": "healing"})
    client.get(f"/api/participants/{people[0].code}/")
    entries = _reads()
    assert [e.detail["endpoint"] for e in entries] == ["participants", "scores", "participant"]
    assert [e.detail["count"] for e in entries] == [2, 3, 1]
    assert entries[0].detail["participants"] == sorted(p.code for p in people)[:2]
    assert entries[1].detail["filters"] == {"axis": "healing"}
    assert entries[2].target_id == people[0].code
    assert {e.actor_username for e in entries} == {client.user.username}
    assert {e.organisation_slug for e in entries} == {"org-a"}


def test_instruments_cohort_and_refusals_are_not_audited_as_reads(org_a, key_client):
    client = key_client(org_a, "viewer")
    client.get("/api/instruments/")
    client.get("/api/instruments/empowerment-interview/2.0/")
    client.get("/api/participants/")  # refused: 403
    assert _reads() == []


def test_the_key_page_makes_a_key_shown_once_and_revokes_it(org_a, login):
    client = login(org_a, "analyst")
    page = client.get("/api/key/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    made = client.post("/api/key/", {"action": "create"})
    key = KEY_PATTERN.search(made.content.decode())[0]
    assert ApiKey.objects.active().get().prefix == key[4:12]
    assert key not in client.get("/api/key/").content.decode()  # never shown again
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/participants/").status_code == 200
    client.post("/api/key/", {"action": "create"})
    assert api.get("/api/participants/").status_code == 403  # the old key stopped
    client.post("/api/key/", {"action": "revoke"})
    assert not ApiKey.objects.active().exists()
    assert api.get("/api/participants/").status_code == 403
    changes = [e.detail["change"] for e in AuditEntry.objects.filter(action="api.token")
               .order_by("sequence")]
    assert changes == ["created", "replaced", "revoked"]


def test_the_key_page_needs_a_login(client):
    response = client.get("/api/key/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_administrator_reaches_the_key_page_only_after_two_step_login(
    org_a, client, make_member
):
    client.force_login(make_member(org_a, "admin"))
    response = client.post("/api/key/", {"action": "create"})
    assert response.status_code == 302 and "two-step" in response["Location"]
    assert not ApiKey.objects.exists()


def test_the_command_makes_and_revokes_a_key(org_a, make_member):
    user = make_member(org_a, "analyst", username="amina")
    out = StringIO()
    call_command("api_token", "amina", stdout=out)
    key = KEY_PATTERN.search(out.getvalue())[0]
    assert ApiKey.objects.matching(key).user == user
    call_command("api_token", "amina", "--revoke", stdout=StringIO())
    assert ApiKey.objects.matching(key) is None
    assert not ApiKey.objects.active().exists()
    entries = AuditEntry.objects.filter(action="api.token").order_by("sequence")
    assert [(e.detail["change"], e.detail["via"], e.actor_username, e.organisation_slug)
            for e in entries] == [("created", "command", "", "org-a"),
                                  ("revoked", "command", "", "org-a")]


@pytest.mark.parametrize("case", ["unknown", "stopped", "no_membership", "admin_without_2fa"])
def test_the_command_refuses_and_makes_nothing(case, org_a, make_member, django_user_model):
    if case == "stopped":
        user = make_member(org_a, "analyst", username="someone")
        user.is_active = False
        user.save()
    elif case == "no_membership":
        django_user_model.objects.create_user("someone", password="a-long-test-password")
    elif case == "admin_without_2fa":
        make_member(org_a, "admin", username="someone")
    with pytest.raises(CommandError) as error:
        call_command("api_token", "someone", stdout=StringIO())
    assert error.value.returncode == 1
    assert not ApiKey.objects.exists()


def test_the_command_gives_an_administrator_with_two_step_a_key(org_a, make_member):
    user = make_member(org_a, "admin", username="boss")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    call_command("api_token", "boss", stdout=StringIO())
    assert ApiKey.objects.active().filter(user=user).exists()
