"""Fixtures for the API tests: clients that send a key, and people with assessments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from empower.instruments import get_instrument
from empower.web.api.models import ApiKey
from empower.web.assessments.recording import record_assessment

AXES = ("healing", "purpose", "inner_peace", "self_capacity")


def ladder(*steps: int) -> dict[str, int]:
    """Ladder answers (1–10) for the four axes, in the order of ``AXES``."""
    return {f"rating__{axis}": step for axis, step in zip(AXES, steps, strict=True)}


@pytest.fixture
def assess() -> Callable[..., Any]:
    """Record an interview (v2.0, ladder answers) for a participant."""

    def do(participant: Any, steps: tuple[int, ...] = (4, 7, 10, 1), *,
           on: date | None = None, narratives: dict[str, str] | None = None) -> Any:
        return record_assessment(
            participant=participant,
            instrument=get_instrument("empowerment-interview", "2.0"),
            conducted_on=on or date.today(), language="en", interviewer=None,
            answers=ladder(*steps), narratives=narratives or {},
        )

    return do


@pytest.fixture
def key_client(make_member: Callable[..., Any]) -> Callable[..., Any]:
    """An API client sending the key of a new member of ``organisation`` with ``role``."""

    def make(organisation: Any, role: str, username: str | None = None) -> APIClient:
        user = make_member(organisation, role, username=username)
        if role == "admin":
            from django_otp.plugins.otp_totp.models import TOTPDevice

            TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        client = APIClient()
        client.api_key, client.key = ApiKey.create_for(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {client.key}")
        client.user = user
        return client

    return make


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    """Rate-limit counts live in the cache; start each test with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
