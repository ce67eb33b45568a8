"""Stopping a login revokes its API key at once, so starting the login again does not bring
the old key back."""

from __future__ import annotations

from django.urls import reverse

from empower.web.api.models import ApiKey
from empower.web.audit.models import AuditEntry

STOPPED_DETAIL = {"change": "revoked", "via": "login_stopped", "reason": "the login was stopped"}


def _revocations(user):
    return [entry.detail for entry in AuditEntry.objects.filter(
        action="api.token", target_type="user", target_id=str(user.pk)
    ).order_by("pk")]


def test_the_team_page_stopping_a_login_revokes_its_key_for_good(org_a, key_client, login):
    api = key_client(org_a, "analyst", username="amina")
    assert api.get("/api/participants/").status_code == 200
    admin = login(org_a, "admin")
    membership = api.user.membership
    response = admin.post(reverse("member_update", args=[membership.pk]), {"role": "analyst"})
    assert response.status_code == 302
    api.api_key.refresh_from_db()
    assert api.api_key.revoked_at is not None
    assert not ApiKey.objects.active().filter(user=api.user).exists()
    assert _revocations(api.user) == [{**STOPPED_DETAIL, "key": api.api_key.prefix}]
    entry = AuditEntry.objects.get(action="api.token")
    assert entry.organisation == org_a
    refused = api.get("/api/participants/")
    assert refused.status_code == 403 and "results" not in refused.json()

    # Started again: the login works, the old key does not.
    admin.post(reverse("member_update", args=[membership.pk]),
               {"role": "analyst", "active": "on"})
    api.user.refresh_from_db()
    assert api.user.is_active
    refused = api.get("/api/participants/")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Invalid or revoked key."}
    assert len(_revocations(api.user)) == 1  # starting the login again revoked nothing more


def test_a_plain_save_stopping_a_login_revokes_its_key(org_a, key_client):
    api = key_client(org_a, "interviewer")
    other = key_client(org_a, "analyst")
    api.user.is_active = False
    api.user.save()
    assert api.get("/api/participants/").status_code == 403
    api.user.is_active = True
    api.user.save()
    response = api.get("/api/participants/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid or revoked key."}
    assert _revocations(api.user) == [{**STOPPED_DETAIL, "key": api.api_key.prefix}]
    # someone else's key is untouched
    assert other.get("/api/participants/").status_code == 200
    assert _revocations(other.user) == []


def test_saving_a_login_that_stays_active_or_has_no_key_changes_nothing(
    org_a, key_client, make_member
):
    api = key_client(org_a, "analyst")
    api.user.first_name = "Amina"
    api.user.save()
    assert api.get("/api/participants/").status_code == 200
    keyless = make_member(org_a, "viewer")
    keyless.is_active = False
    keyless.save()
    assert not AuditEntry.objects.filter(action="api.token").exists()
