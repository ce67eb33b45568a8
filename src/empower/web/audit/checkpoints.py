"""Checkpoints: the chain head, signed, kept outside the database.

Someone who can write to the database can cut the newest entries off, or empty both tables,
and move the chain head to match; no seal inside the database shows that. A checkpoint kept
elsewhere does: ``empower audit verify --checkpoints FILE`` checks that every checkpointed
entry is still in the chain, unchanged.

A checkpoint is one line of JSON (a file may hold many, one per line)::

    {"at":"2026-11-23T13:07:05.000042Z","format":"empower-audit-checkpoint/1",
     "hash":"<the entry's seal>","key_id":"1a2b3c4d","sequence":42,"signature":"<hex>"}

``signature`` is the HMAC-SHA256 (hex) of the canonical JSON of the other five keys, keyed
with ``HKDF-SHA256(data key, info="empower audit checkpoint v1")``: a checkpoint cannot be
made up or edited without the data key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from . import sealing
from .models import canonical_json, iso_utc

FORMAT = "empower-audit-checkpoint/1"
SIGNED_KEYS = ("at", "format", "hash", "key_id", "sequence")


class CheckpointError(ValueError):
    """A checkpoint file or line that cannot be read."""


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: str
    at: str
    key_id: str
    signature: str
    #: where it was read from ("FILE line N"), for messages
    source: str = ""

    def signed_text(self) -> str:
        return canonical_json({
            "at": self.at, "format": FORMAT, "hash": self.hash, "key_id": self.key_id,
            "sequence": self.sequence,
        })

    def to_line(self) -> str:
        return canonical_json({
            "at": self.at, "format": FORMAT, "hash": self.hash, "key_id": self.key_id,
            "sequence": self.sequence, "signature": self.signature,
        })

    def signature_ok(self) -> bool | None:
        """True or False; None when the key it names is not in the key ring."""
        expected = sealing.mac(self.signed_text(), self.key_id, sealing.CHECKPOINT_INFO)
        return None if expected is None else sealing.same(expected, self.signature)


def make(sequence: int, head_hash: str) -> Checkpoint:
    """A checkpoint of the chain head, signed with the newest data key."""
    kid = sealing.current_key_id()
    unsigned = Checkpoint(sequence, head_hash, iso_utc(timezone.now()), kid, "")
    signature = sealing.mac(unsigned.signed_text(), kid, sealing.CHECKPOINT_INFO)
    assert signature is not None  # the newest key is always in the ring
    return Checkpoint(sequence, head_hash, unsigned.at, kid, signature)


def parse_line(text: str, source: str) -> Checkpoint:
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise CheckpointError(f"{source} is not a checkpoint (not JSON).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{source} is not an Empower audit checkpoint.")
    values = {key: data.get(key) for key in (*SIGNED_KEYS, "signature")}
    if not isinstance(values["sequence"], int) or isinstance(values["sequence"], bool) or (
        values["sequence"] < 0
    ):
        raise CheckpointError(f"{source}: the entry number is missing or not a whole number.")
    for key in ("at", "hash", "key_id", "signature"):
        if not isinstance(values[key], str) or not values[key]:
            raise CheckpointError(f"{source}: '{key}' is missing.")
    return Checkpoint(values["sequence"], values["hash"], values["at"], values["key_id"],
                      values["signature"], source)


def read(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file (blank lines skipped); an unreadable line is an error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CheckpointError(f"{path}: cannot be read ({error.strerror}).") from None
    found = [
        parse_line(line, f"{path} line {number}")
        for number, line in enumerate(lines, start=1) if line.strip()
    ]
    if not found:
        raise CheckpointError(f"{path} holds no checkpoint.")
    return found
