"""Fixtures for the language tests: members with a chosen language."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def login_in(login: Any) -> Any:
    """``login(org, role)`` for a member whose own language is ``language``."""

    def do(organisation: Any, role: str, language: str, username: str | None = None) -> Any:
        from empower.web.accounts.models import Membership

        client = login(organisation, role, username=username)
        Membership.objects.filter(organisation=organisation, role=role).update(language=language)
        return client

    return do
