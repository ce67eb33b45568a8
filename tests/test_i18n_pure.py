"""Messages of the pure packages: English without a translator, the installed translator's
language with one, and never Django."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from empower.i18n import Text, gettext_noop, ngettext_lazy, set_translator
from empower.instruments import library
from empower.instruments.submissions import interpret, read_submissions

SRC = Path(__file__).resolve().parents[1] / "src"
WRONG_TYPES = Path(__file__).parent / "web" / "fieldwork" / "data" / "kobo_wrong_types.csv"


@pytest.fixture
def english() -> Iterator[None]:
    """No translator (the web site installs Django's when it starts): plain English."""
    previous = set_translator(None)
    yield
    set_translator(*previous)


@pytest.fixture
def shouting() -> Iterator[list[str]]:
    """A fake translator that upper-cases templates and records what it was asked for."""
    asked: list[str] = []

    def translate(message: str) -> str:
        asked.append(message)
        # upper case, except the placeholders, which must stay as they are
        parts = re.split(r"(%\(\w+\)s)", message)
        return "".join(p if p.startswith("%(") else p.upper() for p in parts)

    def translate_plural(singular: str, plural: str, number: int) -> str:
        asked.append(plural)
        return "ONE %(number)s" if number == 1 else "MANY %(number)s"

    previous = set_translator(translate, translate_plural)
    yield asked
    set_translator(*previous)


def test_gettext_noop_returns_the_message_as_it_is():
    assert gettext_noop("no interview date") == "no interview date"


def test_without_a_translator_a_text_is_the_english_template_filled_in(english):
    text = Text("'%(value)s' is not a date", {"value": "tomorrow"})
    assert str(text) == "'tomorrow' is not a date"
    assert f"{text}" == "'tomorrow' is not a date"
    assert str(Text("The file is empty.")) == "The file is empty."
    assert str(Text("100% sure")) == "100% sure"  # no parameters: no % formatting


def test_the_installed_translator_renders_the_template_then_fills_it(shouting):
    text = Text("'%(value)s' is not a date", {"value": "tomorrow"})
    assert str(text) == "'tomorrow' IS NOT A DATE"  # the value itself is never translated
    assert shouting == ["'%(value)s' is not a date"]  # looked up by the English template


def test_a_text_inside_a_text_is_rendered_in_the_same_language(shouting):
    inner = Text("The file")
    outer = Text("%(name)s is damaged", {"name": inner})
    assert str(outer) == "THE FILE IS DAMAGED"


def test_plural_forms_follow_the_number(english):
    assert str(ngettext_lazy("%(number)s service", "%(number)s services", 1)) == "1 service"
    assert str(ngettext_lazy("%(number)s service", "%(number)s services", 3)) == "3 services"


def test_plural_forms_come_from_the_translator(shouting):
    assert str(ngettext_lazy("%(number)s service", "%(number)s services", 1)) == "ONE 1"
    assert str(ngettext_lazy("%(number)s service", "%(number)s services", 4)) == "MANY 4"


def test_texts_compare_and_hash_by_template_and_values():
    a = Text("row %(row)s", {"row": 2})
    assert a == Text("row %(row)s", {"row": 2})
    assert a != Text("row %(row)s", {"row": 3})
    assert len({a, Text("row %(row)s", {"row": 2})}) == 1


def test_set_translator_gives_back_the_one_it_replaces():
    def first(message: str) -> str:
        return "first"

    original = set_translator(first)
    try:
        replaced = set_translator(None)
        assert replaced[0] is first
    finally:
        set_translator(*original)


def test_import_problems_are_english_without_a_translator(english):
    found = read_submissions(WRONG_TYPES.read_bytes(), "wrong.csv")
    reading = interpret(found, library(), today=date(2026, 6, 1))
    assert [str(p) for p in reading.errors] == [
        "row 2, column ladder/rating__healing: 'seven' is not an answer on scale 'ladder' "
        "(allowed: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, prefer_not_to_say)",
        "row 3, column ladder/rating__purpose: '11' is not an answer on scale 'ladder' "
        "(allowed: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, prefer_not_to_say)",
    ]


def test_import_problems_are_rendered_when_read_not_when_made(english):
    found = read_submissions(WRONG_TYPES.read_bytes(), "wrong.csv")
    reading = interpret(found, library(), today=date(2026, 6, 1))
    problem = reading.errors[0]
    set_translator(lambda message: {
        "'%(value)s' is not an answer on scale '%(scale)s' (allowed: %(allowed)s)":
            "[bn] %(value)s / %(scale)s / %(allowed)s",
        "row %(row)s": "[bn] %(row)s",
        "column %(column)s": "[bn] %(column)s",
    }.get(message, message))
    assert problem.message == "[bn] seven / ladder / 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, " \
                              "prefer_not_to_say"
    assert problem.where() == "[bn] 2, [bn] ladder/rating__healing"


def test_the_file_level_problems_are_texts_too(english):
    found = read_submissions(b"", "empty.csv")
    assert isinstance(found.problems[0].text, Text)
    assert found.problems[0].message == "The file is empty."


def test_importing_the_messages_loads_no_django():
    code = (
        "import empower.i18n, empower.instruments.submissions, sys; "
        "assert not any(m.startswith('django') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(SRC)}, check=False)
    assert result.returncode == 0, result.stderr


def test_the_messages_module_imports_no_django():
    source = (SRC / "empower" / "i18n.py").read_text("utf-8")
    assert "django" not in source.replace("Django", "")
