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


def purpose_text(purpose: str, language: str, version: str = CURRENT_VERSION) -> str:
    """The exact sentence read to the participant for ``purpose``, in ``language``."""
    return text_in(wording(version)["purposes"][purpose], language)[0].strip()


def receipt_text(key: str, language: str, version: str = CURRENT_VERSION) -> str:
    return text_in(wording(version)["receipt"][key], language)[0].strip()
