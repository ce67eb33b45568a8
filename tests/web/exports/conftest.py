"""Fixtures for the export tests: participants with interviews recorded the real way."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings

from empower.instruments import get_instrument
from empower.web.assessments.recording import record_assessment

#: Interview dates well after the consent the fixtures record (400 days ago).
BASELINE = date.today() - timedelta(days=300)
FOLLOW_UP = date.today() - timedelta(days=100)
ALL_PURPOSES = ("interview", "own_reporting", "research", "sharing")


def research(participant: Any) -> str:
    """The research code expected for ``participant``, worked out independently: Django's
    ``salted_hmac`` is HMAC-SHA256 keyed with SHA-256(salt + secret key), over
    "<organisation id>:<participant code>"; the code is "R-" and the first 10 base-32
    characters of the digest."""
    key = hashlib.sha256(
        ("empower.exports.research-code" + settings.SECRET_KEY).encode()).digest()
    message = f"{participant.organisation_id}:{participant.code}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return "R-" + base64.b32encode(digest).decode()[:10]


def ladder(healing: Any, purpose: Any = 5, inner_peace: Any = 5, self_capacity: Any = 5
           ) -> dict[str, Any]:
    return {"rating__healing": healing, "rating__purpose": purpose,
            "rating__inner_peace": inner_peace, "rating__self_capacity": self_capacity}


@pytest.fixture
def person(make_participant: Callable[..., Any], consent_factory: Callable[..., Any]
           ) -> Callable[..., Any]:
    """A participant whose consent to ``purposes`` was given 400 days ago."""

    def make(organisation: Any, purposes: tuple[str, ...] = ALL_PURPOSES, **fields: Any) -> Any:
        participant = make_participant(organisation, consent=False, **fields)
        consent_factory(participant, *purposes, days_ago=400)
        return participant

    return make


@pytest.fixture
def interview(db: Any) -> Callable[..., Any]:
    """Record an empowerment-interview 2.0 assessment (answers validated and scored)."""

    def record(participant: Any, answers: dict[str, Any], on: date = BASELINE,
               narratives: dict[str, str] | None = None, language: str = "en",
               services: list[dict[str, Any]] | None = None) -> Any:
        return record_assessment(
            participant=participant, instrument=get_instrument("empowerment-interview", "2.0"),
            conducted_on=on, language=language, interviewer=None, answers=answers,
            narratives=narratives or {}, services=services,
        )

    return record
