"""Five wrong passwords lock a username for 15 minutes, from any address; nobody else is
locked with it, and an administrator can unlock their own people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from django.urls import reverse

PASSWORD = "a-long-test-password"
LOCKED = "Too many failed attempts. Try again in 15 minutes or ask your administrator."
MISMATCH = "That username and password did not match."


def _try(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client, username, times, address="203.0.113.7"):
    for _ in range(times):
        _try(client, username, "not-the-password", address)


@pytest.fixture
def worker(org_a, make_member):
    return make_member(org_a, "interviewer", username="worker")


def test_fifth_wrong_password_locks_and_the_right_one_is_then_refused(client, worker):
    for _ in range(4):
        response = _try(client, "worker", "not-the-password")
        assert response.status_code == 200
        assert MISMATCH in response.content.decode()
    response = _try(client, "worker", "not-the-password")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()

    response = _try(client, "worker", PASSWORD)
    page = response.content.decode()
    assert response.status_code == 429
    assert LOCKED in page
    assert "Traceback" not in page and "AxesBackend" not in page
    assert not _logged_in(client)
    assert client.get(reverse("home")).status_code == 302


def test_lock_holds_from_every_address(client, worker):
    for n in range(5):
        _try(client, "worker", "not-the-password", address=f"198.51.100.{n}")
    response = _try(client, "worker", PASSWORD, address="192.0.2.50")
    assert response.status_code == 429
    assert not _logged_in(client)


def test_lock_still_holds_shortly_before_the_cool_off_ends(client, worker):
    _fail(client, "worker", 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=14))
    assert _try(client, "worker", PASSWORD).status_code == 429


def test_login_works_again_after_the_cool_off(client, worker):
    _fail(client, "worker", 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    response = _try(client, "worker", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_different_usernames_from_one_address_are_not_locked_together(
    client, org_a, make_member
):
    names = [f"office-{n}" for n in range(4)]
    for name in names:
        make_member(org_a, "interviewer", username=name)
    for name in names:  # 16 failures from one shared office address
        _fail(client, name, 4)
    for name in names:
        response = _try(client, name, PASSWORD)
        assert response.status_code == 302, name
        assert _logged_in(client)
        client.logout()


def test_a_successful_login_clears_the_count(client, worker):
    _fail(client, "worker", 4)
    assert _try(client, "worker", PASSWORD).status_code == 302
    client.logout()
    _fail(client, "worker", 4)
    assert _try(client, "worker", PASSWORD).status_code == 302


def test_the_test_clients_login_respects_the_lock(client, worker):
    assert client.login(username="worker", password=PASSWORD)
    client.logout()
    _fail(client, "worker", 5)
    assert not client.login(username="worker", password=PASSWORD)


def test_admin_sees_the_lock_and_unlocks(login, org_a, worker):
    _fail(Client(), "worker", 5)
    admin = login(org_a, "admin")
    unlock = reverse("member_unlock", args=[worker.membership.pk])
    page = admin.get(reverse("team")).content.decode()
    assert "locked out" in page and f'action="{unlock}"' in page

    assert admin.post(unlock).status_code == 302
    assert f'action="{unlock}"' not in admin.get(reverse("team")).content.decode()
    assert _try(Client(), "worker", PASSWORD).status_code == 302


def test_unlock_only_by_an_admin_of_the_same_organisation(login, org_a, org_b, make_member):
    outsider = make_member(org_b, "interviewer", username="outsider")
    colleague = make_member(org_a, "analyst", username="colleague")
    _fail(Client(), "outsider", 5)
    _fail(Client(), "colleague", 5)

    admin = login(org_a, "admin")
    assert admin.post(reverse("member_unlock", args=[outsider.membership.pk])).status_code == 404
    assert _try(Client(), "outsider", PASSWORD).status_code == 429

    interviewer = Client()
    interviewer.force_login(make_member(org_a, "interviewer", username="peer"))
    response = interviewer.post(reverse("member_unlock", args=[colleague.membership.pk]))
    assert response.status_code == 403
    assert _try(Client(), "colleague", PASSWORD).status_code == 429


def test_unlock_does_not_work_by_get(login, org_a, worker):
    _fail(Client(), "worker", 5)
    admin = login(org_a, "admin")
    assert admin.get(reverse("member_unlock", args=[worker.membership.pk])).status_code == 405
    assert _try(Client(), "worker", PASSWORD).status_code == 429
