"""Find interface text in Django templates that does not go through translation.

A template is read with Django's own template lexer. Everything inside ``{% blocktranslate %}``
and the output of ``{% translate %}`` count as translated; template variables are data; other
template tags produce no text of their own. What is left is parsed as HTML, and every piece of
visible text and every user-facing attribute (``title``, ``aria-label``, ``placeholder``,
``alt``, the ``value`` of a button-like ``<input>``) must then be free of words.

Text inside ``<code>``, ``<kbd>``, ``<samp>`` and ``<pre>`` is computer text (a header, a
command, a key) and stays as it is. Not words: whitespace, punctuation, numbers, symbols, the
product name, all-capital abbreviations (``PDF``, ``CSV``, ``RMSEA``), Greek letters and a few
statistical symbols (``n``, ``r``, ``df``). Literal text given to the ``default``,
``default_if_none`` and ``yesno`` filters is checked too, since it is shown to people (write
``default:_("…")`` instead).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

#: Stands for a template variable or a translated string in the flattened HTML.
DATA = "\ue000"
TRANSLATED = "\ue001"

#: Words that are the same in every language.
NAMES = frozenset({"Empower"})
#: Statistical symbols used as they are in every language.
SYMBOLS = frozenset({"n", "r", "df"})
ABBREVIATION = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")

#: Attributes whose values people read or hear (screen readers read aria-label and title).
TEXT_ATTRIBUTES = frozenset({"title", "aria-label", "placeholder", "alt", "aria-description",
                             "aria-roledescription", "label"})
BUTTON_INPUTS = frozenset({"submit", "button", "reset"})
SILENT_ELEMENTS = frozenset({"script", "style"})
#: Computer text shown as it is typed (commands, headers, keys), the same in every language.
CODE_ELEMENTS = frozenset({"code", "kbd", "samp", "pre"})

TRANSLATE_TAGS = ("translate ", "trans ")
BLOCK_TRANSLATE = ("blocktranslate", "blocktrans")
END_BLOCK_TRANSLATE = ("endblocktranslate", "endblocktrans")
LITERAL_FILTER_ARGUMENT = re.compile(
    r"\|\s*(?:default|default_if_none|yesno)\s*:\s*(?P<quote>[\"'])(?P<text>.*?)(?P=quote)"
)


@dataclass(frozen=True)
class Untranslated:
    """One piece of text that would reach a person untranslated."""

    line: int
    text: str
    where: str  # "text", an attribute name, or "filter"

    def __str__(self) -> str:
        return f"line {self.line} ({self.where}): {self.text!r}"


def _words(text: str) -> list[str]:
    """Runs of letters (with their combining marks, which Bengali and Burmese need)."""
    words, current = [], []
    for char in text:
        if unicodedata.category(char)[0] in "LM":
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _is_greek(word: str) -> bool:
    return all("GREEK" in unicodedata.name(c, "") for c in word)


def needs_translation(text: str) -> bool:
    """Whether ``text`` holds a word that a person would read in the wrong language."""
    text = text.replace(DATA, " ").replace(TRANSLATED, " ")
    return any(
        not (word in NAMES or word in SYMBOLS or ABBREVIATION.match(word) or _is_greek(word))
        for word in _words(text)
    )


def _shown(text: str) -> str:
    """The offending text as a person would read it, without the placeholders."""
    return " ".join(text.replace(DATA, " ").replace(TRANSLATED, " ").split())


def _flatten(source: str) -> tuple[str, list[Untranslated]]:
    """The template as plain HTML: placeholders for variables and translations, nothing for
    other tags, no comments. Newlines are kept so parser positions are template lines."""
    parts: list[str] = []
    found: list[Untranslated] = []
    skipping: tuple[str, ...] | None = None  # the end tag of a block whose content is skipped
    for token in Lexer(source).tokenize():
        contents = token.contents.strip()
        name = contents.split()[0] if contents else ""
        if skipping is not None:
            if token.token_type == TokenType.BLOCK and name in skipping:
                skipping = None
            else:
                parts.append("\n" * token.contents.count("\n"))
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        elif token.token_type == TokenType.VAR:
            for match in LITERAL_FILTER_ARGUMENT.finditer(contents):
                if needs_translation(match["text"]):
                    found.append(Untranslated(token.lineno, match["text"], "filter"))
            parts.append(DATA)
        elif token.token_type == TokenType.BLOCK:
            if contents.startswith(TRANSLATE_TAGS) and " as " not in contents:
                parts.append(TRANSLATED)
            elif name in BLOCK_TRANSLATE:
                parts.append(TRANSLATED)
                skipping = END_BLOCK_TRANSLATE
            elif name == "comment":
                skipping = ("endcomment",)
            elif name == "verbatim":
                skipping = ("endverbatim",)
            # any other tag ({% url %}, {% if %}, {% csrf_token %} …) adds no words of its own
        # {# comments #} add nothing
    return "".join(parts), found


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Untranslated] = []
        self.silent = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            user_facing = name in TEXT_ATTRIBUTES or (
                name == "value" and tag == "input"
                and (values.get("type") or "").lower() in BUTTON_INPUTS
            )
            if user_facing and value and needs_translation(value):
                self.found.append(Untranslated(self.getpos()[0], _shown(value), name))
        if tag in SILENT_ELEMENTS or tag in CODE_ELEMENTS:
            self.silent += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in SILENT_ELEMENTS or tag in CODE_ELEMENTS:
            self.silent -= 1

    def handle_endtag(self, tag: str) -> None:
        if (tag in SILENT_ELEMENTS or tag in CODE_ELEMENTS) and self.silent:
            self.silent -= 1

    def handle_data(self, data: str) -> None:
        if not self.silent and needs_translation(data):
            self.found.append(Untranslated(self.getpos()[0], _shown(data), "text"))


def untranslated_text(source: str, plain: bool = False) -> list[Untranslated]:
    """Every piece of interface text in the template ``source`` that is not translated.

    ``plain`` templates (``.txt``) are not HTML: all their text is shown as it is.
    """
    html, found = _flatten(source)
    if plain:
        line = 1
        for chunk in html.split("\n"):
            if needs_translation(chunk):
                found.append(Untranslated(line, _shown(chunk), "text"))
            line += 1
        return found
    finder = _TextFinder()
    finder.feed(html)
    finder.close()
    return sorted(found + finder.found, key=lambda u: u.line)


def scan_folder(folder: Path) -> dict[str, list[Untranslated]]:
    """Untranslated text in every ``.html`` and ``.txt`` template under ``folder``."""
    problems = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".html", ".txt") or not path.is_file():
            continue
        found = untranslated_text(path.read_text(encoding="utf-8"), plain=path.suffix == ".txt")
        if found:
            problems[str(path.relative_to(folder))] = found
    return problems
