"""An administrator manages the people who log in, only in their own organisation."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from empower.web.accounts.models import Membership, Organisation


def test_admin_adds_a_member_to_own_organisation(login, org_a):
    client = login(org_a, "admin")
    response = client.post(reverse("team"), {
        "username": "newworker", "role": "interviewer", "password": "correct-horse-battery",
    })
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="newworker")
    assert membership.organisation == org_a and membership.role == "interviewer"


def test_weak_password_is_refused(login, org_a):
    client = login(org_a, "admin")
    response = client.post(reverse("team"), {
        "username": "weak", "role": "viewer", "password": "short",
    })
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="weak").exists()


@pytest.mark.parametrize("role", ["interviewer", "analyst", "viewer"])
def test_only_admins_reach_the_team_page(login, org_a, role):
    assert login(org_a, role).get(reverse("team")).status_code == 403


def test_admin_cannot_change_a_member_of_another_organisation(login, org_a, org_b, make_member):
    other = make_member(org_b, "analyst")
    client = login(org_a, "admin")
    response = client.post(
        reverse("member_update", args=[other.membership.pk]), {"role": "admin", "active": "on"}
    )
    assert response.status_code == 404
    other.membership.refresh_from_db()
    assert other.membership.role == "analyst"


def test_admin_stops_a_login_and_changes_a_role(login, org_a, make_member):
    worker = make_member(org_a, "interviewer")
    client = login(org_a, "admin")
    client.post(reverse("member_update", args=[worker.membership.pk]), {"role": "viewer"})
    worker.refresh_from_db()
    worker.membership.refresh_from_db()
    assert worker.membership.role == "viewer"
    assert worker.is_active is False


def test_admin_cannot_demote_themself(login, org_a):
    client = login(org_a, "admin")
    admin = Membership.objects.get(organisation=org_a, role="admin")
    response = client.post(reverse("member_update", args=[admin.pk]),
                           {"role": "viewer", "active": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("team")
    admin.refresh_from_db()
    assert admin.role == "admin"
    assert "cannot remove your own administrator access" in client.get(
        reverse("team")).content.decode()


def test_team_changes_are_audited(login, org_a, make_member):
    from empower.web.audit.models import AuditEntry

    worker = make_member(org_a, "interviewer")
    client = login(org_a, "admin")
    client.post(reverse("team"), {"username": "added", "role": "viewer",
                                  "password": "correct-horse-battery"})
    client.post(reverse("member_update", args=[worker.membership.pk]),
                {"role": "analyst", "active": "on"})
    added = AuditEntry.objects.get(action="member.added")
    assert added.detail == {"role": "viewer"}
    change = AuditEntry.objects.get(action="permission.change")
    assert change.target_id == str(worker.pk)
    assert change.detail == {"before": {"role": "interviewer", "active": True},
                             "after": {"role": "analyst", "active": True}}


def test_admin_sets_the_reporting_threshold(login, org_a, org_b):
    client = login(org_a, "admin")
    client.post(reverse("organisation_settings"),
                {"small_cell_threshold": "8", "withdrawal_contact": "Office phone 555-0100"})
    org_a.refresh_from_db()
    org_b.refresh_from_db()
    assert org_a.small_cell_threshold == 8 and org_b.small_cell_threshold == 5
    client.post(reverse("organisation_settings"), {"small_cell_threshold": "1"})
    org_a.refresh_from_db()
    assert org_a.small_cell_threshold == 8  # below 3 is refused


def test_add_organisation_command(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    call_command("add_organisation", "Mon Survivors Network", "--admin", "mona",
                 "--password-stdin", stdout=io.StringIO())
    organisation = Organisation.objects.get(slug="mon-survivors-network")
    membership = Membership.objects.get(user__username="mona")
    assert membership.organisation == organisation and membership.role == "admin"
    assert membership.user.check_password("a-long-enough-password")


def test_add_organisation_refuses_a_weak_password_and_saves_nothing(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    with pytest.raises(CommandError):
        call_command("add_organisation", "X", "--admin", "x", "--password-stdin")
    assert not Organisation.objects.exists()
