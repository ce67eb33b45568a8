"""Fixtures for the export tests: participants with interviews recorded the real way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from empower.instruments import get_instrument
from empower.web.assessments.recording import record_assessment

#: Interview dates well after the consent the fixtures record (400 days ago).
BASELINE = date.today() - timedelta(days=300)
FOLLOW_UP = date.today() - timedelta(days=100)
ALL_PURPOSES = ("interview", "own_reporting", "research", "sharing")


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
               narratives: dict[str, str] | None = None, language: str = "en") -> Any:
        return record_assessment(
            participant=participant, instrument=get_instrument("empowerment-interview", "2.0"),
            conducted_on=on, language=language, interviewer=None, answers=answers,
            narratives=narratives or {},
        )

    return record
