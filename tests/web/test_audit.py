"""What goes into the audit trail, and who may read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.test import RequestFactory
from django.urls import reverse

from empower.web.audit.log import Action, client_ip, record
from empower.web.audit.models import AuditEntry

PASSWORD = "a-long-test-password"  # the one tests/conftest.py gives every member


def as_admin(login, organisation):
    """The test client logged in as ``organisation``'s administrator (past two-step login)."""
    client = login(organisation, "admin")
    return client, get_user_model().objects.get(username=f"{organisation.slug}-admin")


def test_record_takes_who_where_and_from_where_from_the_request(org_a, make_member):
    user = make_member(org_a, "interviewer")
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="A" * 300
    )
    request.user = user
    request.organisation = org_a
    entry = record(Action.VIEW_IDENTIFYING, request=request, target_type="participant",
                   target_id="P-ABC234")
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor == user and entry.actor_username == "org-a-interviewer"
    assert entry.organisation == org_a and entry.organisation_slug == "org-a"
    assert entry.ip == "198.51.100.4"
    assert entry.user_agent == "A" * 200
    assert (entry.target_type, entry.target_id) == ("participant", "P-ABC234")
    assert entry.at <= datetime.now(UTC) and entry.at > datetime.now(UTC) - timedelta(minutes=1)


def test_explicit_actor_and_organisation_win_over_the_request(org_a, org_b, make_member):
    user = make_member(org_a, "admin")
    other = make_member(org_b, "admin")
    request = RequestFactory().get("/")
    request.user = user
    request.organisation = org_a
    entry = record(Action.BACKUP, request=request, actor=other, organisation=org_b)
    assert entry.actor == other and entry.organisation == org_b


def test_record_without_a_request_finds_the_actors_organisation(org_a, make_member):
    user = make_member(org_a, "admin")
    entry = record(Action.KEY_ROTATED, actor=user)
    assert entry.organisation == org_a and entry.ip is None and entry.user_agent == ""


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_ip(request) == "10.0.0.2"
    settings.EMPOWER_TRUSTED_PROXY = "10.0.0.1"
    assert client_ip(request) == "10.0.0.2"  # not from the trusted proxy: header ignored
    settings.EMPOWER_TRUSTED_PROXY = "10.0.0.1, 10.0.0.2"
    # The right-most address the proxy did not add itself; what the client claimed is ignored.
    assert client_ip(request) == "203.0.113.9"
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-address"
    assert client_ip(request) == "10.0.0.2"


def test_a_successful_login_is_recorded_with_ip(client, org_a, make_member):
    user = make_member(org_a, "analyst")
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD},
        HTTP_USER_AGENT="TestPhone/1.0",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=Action.LOGIN_SUCCESS)
    assert entry.actor == user and entry.actor_username == user.username
    assert entry.organisation == org_a
    assert entry.ip == "127.0.0.1"
    assert entry.user_agent == "TestPhone/1.0"


def test_a_failed_login_is_recorded_without_actor_or_password(client, org_a, make_member):
    user = make_member(org_a, "analyst")
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILURE)
    assert entry.actor is None and entry.actor_username == ""
    assert entry.detail == {"username": user.username}
    assert (entry.target_type, entry.target_id) == ("user", str(user.pk))
    assert entry.ip == "127.0.0.1"
    assert "wrong" not in json.dumps(entry.detail)


def test_a_failed_login_for_an_unknown_name_has_no_target(client, db):
    client.post(reverse("login"), {"username": "nobody-here", "password": "whatever-it-is"})
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILURE)
    assert entry.detail == {"username": "nobody-here"} and entry.target_id == ""


def test_a_failed_login_keeps_at_most_150_characters_of_the_username(db):
    request = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.1")
    assert authenticate(request, username="x" * 200, password="nothing") is None
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILURE)
    assert entry.detail == {"username": "x" * 150}
    assert entry.ip == "192.0.2.1"


def test_logout_is_recorded(client, org_a, make_member):
    user = make_member(org_a, "viewer")
    client.force_login(user)
    client.post(reverse("logout"))
    entry = AuditEntry.objects.get(action=Action.LOGOUT)
    assert entry.actor == user and entry.organisation == org_a


# --- the audit page ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["interviewer", "analyst", "viewer"])
def test_only_administrators_read_the_audit_trail(login, org_a, role):
    assert login(org_a, role).get(reverse("audit_log")).status_code == 403


def test_the_audit_page_needs_a_login(client, db):
    response = client.get(reverse("audit_log"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def _activity_in(organisation, make_member, client, code):
    """A login, a failed login and a look at a participant, all in ``organisation``."""
    member = make_member(organisation, "interviewer", username=f"{organisation.slug}-worker")
    client.post(reverse("login"), {"username": member.username, "password": PASSWORD})
    client.post(reverse("login"), {"username": member.username, "password": "wrong"})
    record(Action.VIEW_IDENTIFYING, actor=member, target_type="participant", target_id=code)
    client.logout()
    return member


def test_an_administrator_sees_only_their_own_organisations_entries(
    client, login, org_a, org_b, make_member
):
    _activity_in(org_a, make_member, client, "P-AAAAAA")
    _activity_in(org_b, make_member, client, "P-BBBBBB")
    client.post(reverse("login"), {"username": "stranger", "password": "whatever-it-is"})
    client, _admin_b = as_admin(login, org_b)
    response = client.get(reverse("audit_log"))
    assert response.status_code == 200
    shown = list(response.context["page"])
    assert shown, "B's own entries are listed"
    for entry in shown:
        assert entry.organisation_id == org_b.pk or (
            entry.action == Action.LOGIN_FAILURE and entry.detail["username"] == "org-b-worker"
        )
    body = response.content.decode()
    assert "P-AAAAAA" not in body and "org-a-worker" not in body and "stranger" not in body
    assert "P-BBBBBB" in body and "org-b-worker" in body
    actions = [e.action for e in shown]
    assert Action.LOGIN_FAILURE in actions and Action.VIEW_IDENTIFYING in actions
    assert [e.sequence for e in shown] == sorted((e.sequence for e in shown), reverse=True)


def test_looking_at_the_trail_is_recorded_without_the_typed_filters(login, org_a):
    client, admin = as_admin(login, org_a)
    client.get(reverse("audit_log"), {"username": "typed-by-admin", "action": "export"})
    entry = AuditEntry.objects.get(action=Action.AUDIT_VIEWED)
    assert entry.actor == admin and entry.organisation == org_a
    assert entry.detail == {"filters": ["action", "username"], "page": 1}
    assert "typed-by-admin" not in json.dumps(entry.detail)


def test_filters_by_action_username_target_and_dates(login, org_a, make_member, monkeypatch):
    client, admin = as_admin(login, org_a)
    worker = make_member(org_a, "interviewer")
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr("empower.web.audit.log.timezone.now", lambda: now[0])
    e1 = record(Action.EXPORT, actor=worker, detail={"rows": 4})
    now[0] = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    e2 = record(Action.VIEW_IDENTIFYING, actor=worker, target_type="participant",
                target_id="P-ABC234")
    now[0] = datetime(2026, 3, 3, 23, 59, tzinfo=UTC)
    e3 = record(Action.VIEW_IDENTIFYING, actor=admin, target_type="participant",
                target_id="P-XYZ789")
    now[0] = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    e4 = record(Action.CONSENT_GIVEN, actor=admin, target_type="participant",
                target_id="P-ABC234")
    monkeypatch.undo()

    def shown(**params):
        response = client.get(reverse("audit_log"), params)
        assert response.status_code == 200
        return [e.pk for e in response.context["page"]]

    assert shown(action="person.view_identifying") == [e3.pk, e2.pk]
    assert shown(username="ORG-A-INTERVIEWER") == [e2.pk, e1.pk]
    assert shown(target="p-abc234") == [e4.pk, e2.pk]
    assert shown(date_from="2026-03-02", date_to="2026-03-03") == [e3.pk, e2.pk]
    assert shown(date_to="2026-03-01") == [e1.pk]
    assert shown(action="person.view_identifying", username="org-a-admin") == [e3.pk]
    # A range that ends before it starts is an error on the form, not an empty page.
    response = client.get(reverse("audit_log"),
                          {"date_from": "2026-03-04", "date_to": "2026-03-01"})
    assert response.context["form"].errors


def test_the_trail_is_paginated_fifty_at_a_time(login, org_a):
    client, admin = as_admin(login, org_a)
    for i in range(60):
        record(Action.DOWNLOAD, actor=admin, detail={"n": i})
    first = client.get(reverse("audit_log"), {"action": "download"})
    page = first.context["page"]
    assert page.paginator.count == 60 and len(page) == 50
    assert page[0].detail == {"n": 59}
    assert "action=download&amp;page=2" in first.content.decode()
    second = client.get(reverse("audit_log"), {"action": "download", "page": 2})
    assert [e.detail["n"] for e in second.context["page"]] == list(range(9, -1, -1))
    for nonsense in ("²", "-1", "9" * 40, "last"):
        assert client.get(reverse("audit_log"), {"page": nonsense}).status_code == 200


def test_the_page_is_a_table_whose_rows_become_labelled_cards_on_a_phone(login, org_a):
    client, _admin = as_admin(login, org_a)
    body = client.get(reverse("audit_log")).content.decode()
    assert '<div class="scroll audit-entries">' in body and '<table class="audit">' in body
    # On a phone the column headings are hidden, so each card names its own fields.
    assert '<span class="audit-label">Which record</span>' in body
    assert "Looked at the audit trail" in body  # plain words, not action codes
