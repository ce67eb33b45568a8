"""What each role may do, and that anonymous visitors are sent to the login page."""

from __future__ import annotations

import pytest
from django.urls import reverse

PEOPLE_PAGES = ["participant_list"]


def test_anonymous_visitor_is_sent_to_login(client, db):
    for name in ["home", "participant_list", "participant_create", "cohort_report"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "role, list_status, create_status, report_status",
    [
        ("admin", 200, 200, 200),
        ("interviewer", 200, 200, 200),
        ("analyst", 200, 403, 200),
        ("viewer", 403, 403, 200),
    ],
)
def test_role_matrix(login, org_a, role, list_status, create_status, report_status):
    client = login(org_a, role)
    assert client.get(reverse("participant_list")).status_code == list_status
    assert client.get(reverse("participant_create")).status_code == create_status
    assert client.get(reverse("cohort_report")).status_code == report_status


def test_viewer_cannot_open_a_participant_of_own_organisation(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "viewer")
    response = client.get(reverse("participant_detail", args=[participant.code]))
    assert response.status_code == 403


def test_analyst_cannot_record_consent_or_withdraw(login, org_a, make_participant):
    participant = make_participant(org_a)
    consent = participant.consents.get()
    client = login(org_a, "analyst")
    assert client.get(reverse("consent_create", args=[participant.code])).status_code == 403
    client.post(reverse("consent_withdraw", args=[participant.code, consent.pk]))
    assert not consent.decisions.filter(withdrawn_at__isnull=False).exists()


def test_login_without_membership_sees_no_data(client, django_user_model, org_a, make_participant):
    make_participant(org_a)
    user = django_user_model.objects.create_user("loose", password="a-long-test-password")
    client.force_login(user)
    assert client.get(reverse("participant_list")).status_code == 403
    assert "not attached to an organisation" in client.get(reverse("home")).content.decode()


def test_passwords_are_hashed_with_argon2(django_user_model, db, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = django_user_model.objects.create_user("u", password="a-long-test-password")
    assert user.password.startswith("argon2$")


def test_production_settings_hash_with_argon2_first():
    from empower.web import settings as site_settings

    assert site_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
