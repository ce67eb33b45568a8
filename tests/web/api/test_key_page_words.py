"""The API key page speaks plain words: no file paths, and it says what a key can read."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    """The words a person reads (tags removed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_key_page_names_no_file_and_says_what_a_key_reads(login, org_a):
    page = login(org_a, "analyst").get(reverse("api_key")).content.decode()
    words = _text(page)
    assert "docs/api.md" not in page and ".md" not in words
    assert "Never names, phone numbers, addresses, notes or anything typed" in words
    assert "nothing can be changed with a key" in words
    assert "Participants by their code" in words


def test_a_viewer_is_not_told_a_key_reads_participants(login, org_a):
    words = _text(login(org_a, "viewer").get(reverse("api_key")).content.decode())
    assert "The cohort report, with small groups hidden for viewers." in words
    assert "Participants by their code" not in words
