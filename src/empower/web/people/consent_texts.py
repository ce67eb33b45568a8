"""Versioned consent wording, in the languages participants speak (see ``consent/*.yaml``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from empower.instruments.model import text_in

FOLDER = Path(__file__).parent / "consent"
CURRENT_VERSION = "2026-1"


@cache
def wording(version: str = CURRENT_VERSION) -> dict[str, Any]:
    path = FOLDER / f"{version}.yaml"
    if not path.exists():
        raise KeyError(f"No consent wording version {version}.")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def versions() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.yaml"))


def languages(version: str = CURRENT_VERSION) -> list[str]:
    """The languages the wording of ``version`` is written in."""
    return list(wording(version)["languages"])


def purpose_text(purpose: str, language: str, version: str = CURRENT_VERSION) -> str:
    """The exact sentence read to the participant for ``purpose``, in ``language``."""
    return purpose_text_in(purpose, language, version)[0]


def purpose_text_in(
    purpose: str, language: str, version: str = CURRENT_VERSION
) -> tuple[str, bool]:
    """The sentence for ``purpose`` and whether it had to fall back to English."""
    text, fell_back = text_in(wording(version)["purposes"][purpose], language)
    return text.strip(), fell_back


def receipt_text(key: str, language: str, version: str = CURRENT_VERSION) -> str:
    return receipt_text_in(key, language, version)[0]


def receipt_text_in(key: str, language: str, version: str = CURRENT_VERSION) -> tuple[str, bool]:
    """A heading or sentence of the receipt and whether it had to fall back to English."""
    text, fell_back = text_in(wording(version)["receipt"][key], language)
    return text.strip(), fell_back
