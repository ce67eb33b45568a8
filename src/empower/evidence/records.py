"""A bibliographic record as every part of the review engine sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    """One search hit, as read from a database export.

    ``source`` names the database or method it came from (``"Scopus"``, ``"Google Scholar"``,
    ``"citation searching"`` …) and ``source_id`` its identifier there, when it has one (a
    PubMed id, a Scopus EID, the RIS ``ID``). ``raw`` keeps every field as the file had it, so
    nothing is lost when a format carries more than these fields.
    """

    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    journal: str = ""
    doi: str = ""
    keywords: list[str] = field(default_factory=list)
    source: str = ""
    source_id: str = ""
    record_type: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    #: position in the file it was read from (1-based), for error messages and audit
    position: int = 0
