"""Keyword highlighting for screening: mark words that argue for or against inclusion.

Terms match whole words, ignoring case and diacritics ("Sao Paulo" finds "São Paulo"), and a
``*`` stands for any run of letters or digits, so ``traffick*`` finds "trafficking",
"trafficked" and "traffickers". A term of several words matches them with any spacing between.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["include", "exclude"]


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` matched ``term`` from the ``kind`` list."""

    start: int
    end: int
    kind: Kind
    term: str = ""


def _fold(text: str) -> tuple[str, list[int]]:
    """Text without case or diacritics, and for each of its characters the original index."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        ).casefold()
        folded.append(plain)
        origin.extend([i] * len(plain))
    return "".join(folded), origin


def _pattern(term: str) -> re.Pattern[str] | None:
    folded, _ = _fold(term.strip())
    words = folded.split()
    if not words:
        return None
    if all(set(w) <= {"*"} for w in words):
        raise ValueError(f"the term {term!r} would match every word")
    body = r"\s+".join(r"\w*".join(re.escape(part) for part in w.split("*")) for w in words)
    # Whole words only: no letter or digit may touch the match on either side.
    return re.compile(rf"(?<!\w){body}(?!\w)")


def highlight(
    text: str, include_terms: Iterable[str] = (), exclude_terms: Iterable[str] = ()
) -> list[Span]:
    """Where the terms occur in ``text``, as non-overlapping spans in reading order.

    Offsets index the original ``text``. Where matches overlap, the one that starts first is
    kept, and of those that start together the longest; where an include and an exclude term
    match exactly the same words, ``exclude`` is kept so that a warning is never hidden.
    """
    folded, origin = _fold(text)
    found: list[tuple[int, int, int, Kind, str]] = []
    for kind, priority, terms in (("exclude", 0, exclude_terms), ("include", 1, include_terms)):
        for term in terms:
            pattern = _pattern(term)
            if pattern is None:
                continue
            for m in pattern.finditer(folded):
                if m.end() > m.start():
                    start, end = _original_span(text, origin, m.start(), m.end())
                    found.append((start, end, priority, kind, term))  # type: ignore[arg-type]
    found.sort(key=lambda f: (f[0], -(f[1] - f[0]), f[2]))
    kept: list[Span] = []
    for start, end, _, kind, term in found:
        if kept and start < kept[-1].end:
            continue
        kept.append(Span(start, end, kind, term))
    return kept


def _original_span(text: str, origin: list[int], start: int, end: int) -> tuple[int, int]:
    first, last = origin[start], origin[end - 1] + 1
    # Take along combining marks that follow the last letter ("e" + U+0301).
    while last < len(text) and unicodedata.combining(text[last]):
        last += 1
    return first, last


def highlight_html(
    text: str, include_terms: Iterable[str] = (), exclude_terms: Iterable[str] = ()
) -> str:
    """``text`` as safe HTML with matches wrapped in ``<mark class="include|exclude">``.

    Every piece of the text is escaped before any markup is added, so the result can be
    inserted into a page as it is.
    """
    out: list[str] = []
    at = 0
    for span in highlight(text, include_terms, exclude_terms):
        out.append(html.escape(text[at : span.start]))
        out.append(f'<mark class="{span.kind}">{html.escape(text[span.start : span.end])}</mark>')
        at = span.end
    out.append(html.escape(text[at:]))
    return "".join(out)
