"""Every piece of interface text in every template goes through translation."""

from __future__ import annotations

from pathlib import Path

import pytest

from .template_text import scan_folder, untranslated_text

TEMPLATES = Path(__file__).resolve().parents[3] / "src" / "empower" / "web" / "templates"


def test_every_template_of_the_site_marks_its_text_for_translation():
    problems = scan_folder(TEMPLATES)
    report = "\n".join(
        f"{name} {problem}" for name, found in problems.items() for problem in found
    )
    assert not problems, "text outside {% translate %} / {% blocktranslate %}:\n" + report


def test_the_scan_covers_every_folder():
    # New folders (fieldwork/, exports/, api/ …) are picked up without being listed.
    folders = {p.parent.name for p in TEMPLATES.rglob("*.html")}
    assert {"templates", "assessments", "people", "accounts", "reviews"} <= folders


@pytest.mark.parametrize(("source", "text", "where"), [
    ("<p>Save the answers</p>", "Save the answers", "text"),
    ("{% load i18n %}<h1>{% translate 'Hello' %} world</h1>", "world", "text"),
    ('<a href="/x" title="Leave now">{{ x }}</a>', "Leave now", "title"),
    ('<nav aria-label="Main menu"></nav>', "Main menu", "aria-label"),
    ('<input name="q" placeholder="Participant code">', "Participant code", "placeholder"),
    ('<img src="a.png" alt="A chart">', "A chart", "alt"),
    ('<input type="submit" value="Send">', "Send", "value"),
    ('{{ value|default:"not given" }}', "not given", "filter"),
    ("<p>বলতে চাই না</p>", "বলতে চাই না", "text"),
    ("<p>မပြောလိုပါ</p>", "မပြောလိုပါ", "text"),
    ("{% if a %}<td>Missing</td>{% endif %}", "Missing", "text"),
    ("<option value=\"\">Choose one</option>", "Choose one", "text"),
    ("<title>{% block title %}Home{% endblock %}</title>", "Home", "text"),
])
def test_the_scan_finds_untranslated_text(source, text, where):
    found = untranslated_text(source)
    assert [(f.text, f.where) for f in found] == [(text, where)]


def test_the_scan_names_the_line():
    found = untranslated_text("{% load i18n %}\n<p>{% translate 'Fine' %}</p>\n\n<p>Not fine</p>")
    assert [f.line for f in found] == [4]


@pytest.mark.parametrize("source", [
    "{% load i18n %}<p>{% translate \"Save\" %}</p>",
    "{% load i18n %}<p>{% blocktranslate with n=count %}{{ n }} left{% endblocktranslate %}</p>",
    "{% load i18n %}<p>{% blocktranslate count c=n trimmed %}\n one\n{% plural %}\n many\n"
    "{% endblocktranslate %}</p>",
    '{% load i18n %}<a title="{% translate \'Leave\' %}" class="quick-exit" href="/exit/">·</a>',
    "<p>{{ participant.code }} · {{ assessment.conducted_on|date:\"Y-m-d\" }}</p>",
    "<td>{{ s.score|floatformat:1 }}</td><td>–</td><td>95 %</td><td>(0–100)</td>",
    "<p class=\"muted\">{{ value|default:\"–\" }}</p>",
    '{% load i18n %}<p>{{ value|default:_("not given") }}</p>',
    "<!-- a note for developers --><p>{# a template comment #}</p>",
    "{% comment %}Some words for developers{% endcomment %}<p></p>",
    "<script>var message = 'not shown';</script><style>p::after { content: 'x' }</style>",
    "<th>SD</th><th>RMSEA (90 %)</th><th>χ² (df)</th><th class=\"num\">n</th><th>κ</th>",
    "<a class=\"brand\" href=\"/\">Empower</a> <a href=\"x.pdf\">PDF</a> · CSV",
    '<input type="hidden" name="lang" value="english">',
    '<input id="q" name="q" autocomplete="off" autocapitalize="characters">',
    "<p>&nbsp;&middot;&amp;</p>",
    "<p><code>Authorization: Token {{ key }}</code> <kbd>make messages</kbd></p>",
])
def test_the_scan_leaves_translated_and_non_text_alone(source):
    assert untranslated_text(source) == []


def test_plain_text_templates_are_read_whole():
    assert [f.text for f in untranslated_text("{{ code }}\nYour receipt", plain=True)] == [
        "Your receipt"
    ]
