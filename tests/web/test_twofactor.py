"""Two-step login: administrators must set up an authenticator app before anything else;
everyone with one must type a code after the password; others are not forced."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "a-long-test-password"
PAGES = ["home", "participant_list", "participant_create", "cohort_report", "team"]


def _code(device, steps=0) -> str:
    """The code the authenticator app shows now (or ``steps`` time steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def _wrong_code(device) -> str:
    valid = {_code(device, steps) for steps in (-1, 0, 1)}
    return next(c for c in ("123456", "654321", "111111", "222222") if c not in valid)


def _password_step(client, username, next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


@pytest.fixture
def admin(org_a, make_member):
    return make_member(org_a, "admin", username="boss")


@pytest.fixture
def worker(org_a, make_member):
    return make_member(org_a, "interviewer", username="worker")


def test_admin_without_authenticator_is_sent_to_setup_from_every_page(client, admin):
    client.force_login(admin)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("two_step")), name
    response = client.post(
        reverse("team"), {"username": "x", "role": "admin", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_step"))
    assert not admin.membership.organisation.memberships.filter(user__username="x").exists()


def test_admin_is_sent_to_setup_right_after_the_password(client, admin):
    response = _password_step(client, "boss")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_step"))


def test_setup_page_shows_a_qr_code_and_the_key_and_hides_the_menu(client, admin):
    client.force_login(admin)
    response = client.get(reverse("two_step"))
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    secret = "".join(client.get(reverse("two_step")).context["secret"].split())
    assert response.status_code == 200
    assert "<svg" in page
    assert device.config_url.split("secret=")[1].startswith(secret)
    assert reverse("participant_list") not in page and reverse("team") not in page


def test_admin_confirms_with_a_correct_code_and_reaches_every_page(client, admin):
    client.force_login(admin)
    client.get(reverse("two_step"))
    device = TOTPDevice.objects.get(user=admin)
    response = client.post(reverse("two_step"), {"code": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_wrong_code_is_refused_and_the_admin_stays_held(client, admin):
    client.force_login(admin)
    client.get(reverse("two_step"))
    device = TOTPDevice.objects.get(user=admin)
    response = client.post(reverse("two_step"), {"code": _wrong_code(device)})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("participant_list"))["Location"].startswith(reverse("two_step"))


def test_interviewer_without_authenticator_is_not_forced(client, worker):
    response = _password_step(client, "worker")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("participant_list")).status_code == 200
    assert client.get(reverse("two_step")).status_code == 200  # offered, not forced


def test_interviewer_with_authenticator_must_enter_the_code(client, worker):
    device = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    response = _password_step(client, "worker", next_url=reverse("participant_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login_code"))
    assert client.get(reverse("participant_list"))["Location"].startswith(reverse("login_code"))

    response = client.post(reverse("login_code"), {"code": _wrong_code(device)})
    assert response.status_code == 200
    assert client.get(reverse("participant_list")).status_code == 302

    device.refresh_from_db()
    device.throttling_failure_timestamp = None  # skip the wait after a wrong code
    device.throttling_failure_count = 0
    device.save()
    response = client.post(
        reverse("login_code"), {"code": _code(device), "next": reverse("participant_list")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("participant_list")
    assert client.get(reverse("participant_list")).status_code == 200


def test_a_code_cannot_be_used_twice(client, worker):
    device = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    code = _code(device)
    _password_step(client, "worker")
    assert client.post(reverse("login_code"), {"code": code}).status_code == 302
    client.logout()
    _password_step(client, "worker")
    assert client.post(reverse("login_code"), {"code": code}).status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_interviewer_turns_two_step_login_on_and_off(client, worker):
    client.force_login(worker)
    client.get(reverse("two_step"))
    device = TOTPDevice.objects.get(user=worker)
    assert client.post(reverse("two_step"), {"code": _code(device)}).status_code == 302
    assert TOTPDevice.objects.get(user=worker).confirmed
    assert client.get(reverse("participant_list")).status_code == 200  # this session passed

    client.post(reverse("two_step"), {"action": "turn_off"})
    assert not TOTPDevice.objects.filter(user=worker).exists()


def test_admin_cannot_turn_two_step_login_off(login, org_a):
    client = login(org_a, "admin")
    client.post(reverse("two_step"), {"action": "turn_off"})
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1


def test_admin_resets_a_lost_authenticator_in_own_organisation_only(
    login, org_a, org_b, worker, make_member
):
    TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    outsider = make_member(org_b, "analyst", username="outsider")
    TOTPDevice.objects.create(user=outsider, name="phone", confirmed=True)
    client = login(org_a, "admin")
    assert "Reset two-step login" in client.get(reverse("team")).content.decode()

    url = reverse("member_reset_two_step", args=[outsider.membership.pk])
    assert client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(user=outsider).exists()

    client.post(reverse("member_reset_two_step", args=[worker.membership.pk]))
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert _password_step(Client(), "worker")["Location"] == reverse("home")


def test_reset_command_for_a_lone_admin(admin):
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    call_command("reset_two_step", "boss", stdout=io.StringIO())
    assert not TOTPDevice.objects.filter(user=admin).exists()


def test_logout_quick_exit_and_styles_stay_open_while_held(client, admin):
    client.force_login(admin)
    assert client.get("/static/empower/empower.css").status_code == 200
    response = client.get(reverse("quick_exit"))
    assert response.status_code in (200, 302)
    assert not response.get("Location", "").startswith(reverse("two_step"))

    client.force_login(admin)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not response["Location"].startswith(reverse("two_step"))
    assert "_auth_user_id" not in client.session


def test_code_step_is_audited(client, worker):
    from empower.web.audit.models import AuditEntry

    device = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    _password_step(client, "worker")
    client.post(reverse("login_code"), {"code": _wrong_code(device)})
    failure = AuditEntry.objects.get(action="login.failure")
    assert failure.detail == {"step": "code"} and failure.actor_username == "worker"
    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.throttling_failure_count = 0
    device.save()
    client.post(reverse("login_code"), {"code": _code(device)})
    assert AuditEntry.objects.filter(action="login.success", detail={"step": "code"}).exists()
