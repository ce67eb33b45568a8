"""Shared fixtures: organisations, people in each role, a participant with consent."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

# A fixed test key, so the suite never writes a key file; tests of key handling set their own.
os.environ.setdefault("EMPOWER_DATA_KEY", "q4Yl0cV0Z3bQJ9m0ZP6m3A5u1Yk3rYV7Xq2w8h1tK9c")


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Argon2 is deliberately slow; the tests that check hashing ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _jobs_run_at_once() -> Any:
    """Background jobs run inside the request that starts them, as with EMPOWER_DEBUG=1; the
    worker itself is tested in tests/web/test_jobs_worker.py."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    # Django's locale middleware leaves the language of the last page a test opened active in
    # the thread; without a reset, a page rendered in Bengali would change what the next test
    # sees.
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def make_org(db: Any) -> Callable[..., Any]:
    from empower.web.accounts.models import Organisation

    def make(slug: str = "org-a", name: str | None = None) -> Any:
        return Organisation.objects.create(slug=slug, name=name or slug.upper())

    return make


@pytest.fixture
def make_member(db: Any) -> Callable[..., Any]:
    from django.contrib.auth import get_user_model

    from empower.web.accounts.models import Membership

    def make(organisation: Any, role: str, username: str | None = None) -> Any:
        user = get_user_model().objects.create_user(
            username=username or f"{organisation.slug}-{role}", password="a-long-test-password"
        )
        Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def make_participant(db: Any) -> Callable[..., Any]:
    from empower.web.people.models import Participant

    def make(
        organisation: Any, consent: bool = True,
        purposes: tuple[str, ...] = ("interview", "own_reporting"), **fields: Any,
    ) -> Any:
        participant = Participant.objects.create(organisation=organisation, **fields)
        if consent:
            give_consent(participant, *purposes)
        return participant

    return make


def give_consent(participant: Any, *purposes: str, days_ago: int = 1, refused: tuple = ()) -> Any:
    """A written consent given ``days_ago`` days ago, agreeing to ``purposes``."""
    from empower.web.people.models import Consent, ConsentDecision

    consent = Consent.objects.create(
        participant=participant, given_at=timezone.now() - timedelta(days=days_ago),
        how_given="written",
    )
    for purpose in purposes:
        ConsentDecision.objects.create(
            consent=consent, purpose=purpose, agreed=True, wording=f"wording for {purpose}"
        )
    for purpose in refused:
        ConsentDecision.objects.create(
            consent=consent, purpose=purpose, agreed=False, wording=f"wording for {purpose}"
        )
    return consent


@pytest.fixture
def consent_factory() -> Callable[..., Any]:
    return give_consent


@pytest.fixture
def org_a(make_org: Callable[..., Any]) -> Any:
    return make_org("org-a")


@pytest.fixture
def org_b(make_org: Callable[..., Any]) -> Any:
    return make_org("org-b")


@pytest.fixture
def login(client: Any, make_member: Callable[..., Any]) -> Callable[..., Any]:
    """Log the test client in as a new member of ``organisation`` with ``role``."""

    def do(organisation: Any, role: str, username: str | None = None) -> Any:
        user = make_member(organisation, role, username=username)
        client.force_login(user)
        if role == "admin":
            # Administrators must pass two-step login before any page (TwoStepMiddleware).
            # Give this one a confirmed authenticator and mark the session as having passed
            # the code step with it, as django_otp.login() does after a correct code.
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return do
