"""Fixtures for importing interviews: the three participants of the files in ``data/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
CODES = ("P-7KQ4MX", "P-3HW9TD", "P-N2C8RF")


@pytest.fixture
def data_file() -> Callable[[str], bytes]:
    return lambda name: (DATA / name).read_bytes()


@pytest.fixture
def people(org_a: Any, make_participant: Any, consent_factory: Any) -> dict[str, Any]:
    """The participants of the export files, in organisation A, with consent to the interview
    given well before the interviews (March 2026)."""
    found = {}
    for code in CODES:
        participant = make_participant(org_a, consent=False, code=code)
        consent_factory(participant, "interview", "own_reporting", days_ago=400)
        found[code] = participant
    return found
