"""The shipped translations: complete for the screens participants see, and compiled."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils.functional import Promise

from .catalog import Message, mo_catalog, read_mo, read_po, template_msgids

LOCALE = Path(__file__).resolve().parents[3] / "src" / "empower" / "web" / "locale"
LANGUAGES = ("en", "bn", "my")
TRANSLATED = ("bn", "my")

#: The interview, consent and receipt screens, the layout around them, login and errors.
PARTICIPANT_SCREENS = [
    "base.html", "error.html", "neutral.html", "home.html",
    "registration/login.html", "registration/login_code.html",
    "assessments/assessment_form.html", "assessments/stopped.html",
    "assessments/assessment_detail.html",
    "people/consent_form.html", "people/consent_receipt.html",
    "accounts/language.html",
]


def _python_messages() -> set[Message]:
    """Texts the interview and consent forms build in Python."""
    from empower.web.accounts.forms import LanguageForm
    from empower.web.assessments import forms as interview
    from empower.web.people.forms import ANSWER_CHOICES, ConsentForm
    from empower.web.people.models import GivenBy, HowGiven, Purpose, StoryIdentity

    lazy: list[object] = [
        interview.PREFER_NOT_TO_SAY_LABEL, interview.NOT_APPLICABLE_LABEL,
        interview.FALLBACK_EXPLANATION,
        *(label for _value, label in interview.YES_NO_UNSURE),
        *(label for _value, label in ANSWER_CHOICES),
        *(choice.label for kind in (Purpose, HowGiven, GivenBy, StoryIdentity) for choice in kind),
    ]
    for form_class in (interview.DetailsForm, LanguageForm):
        for field in form_class.base_fields.values():
            lazy += [field.label, field.help_text]
    consent_form = ConsentForm(language="en")
    for field in consent_form.fields.values():
        if not field.label or not isinstance(field.label, Promise):
            continue
        lazy += [field.label]
    found = {Message(p._args[0]) for p in lazy if isinstance(p, Promise) and len(p._args) == 1}
    found.add(Message("[EN]", context="text shown in English"))
    found |= {Message(m) for m in ("N/A", "Service", "Who provided it",
                                   "Did it respect your own needs and wishes?",
                                   "Did any of these come with it?",
                                   "Assessment saved.",
                                   "Consent recorded. Give the participant their receipt.")}
    return found


def _catalog(language: str) -> dict:
    return {e.key: e for e in read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
            if not e.obsolete}


@pytest.mark.parametrize("language", TRANSLATED)
def test_participant_screens_are_fully_translated(language, db):
    catalog = _catalog(language)
    wanted: set[Message] = set()
    for name in PARTICIPANT_SCREENS:
        wanted |= template_msgids(name)
    wanted |= _python_messages()
    assert len(wanted) > 100  # the screens really were read
    problems = []
    for message in sorted(wanted, key=lambda m: m.msgid):
        entry = catalog.get(message.key)
        if entry is None:
            problems.append(f"not in the catalogue (run make messages): {message.msgid!r}")
        elif entry.fuzzy or not entry.translated:
            problems.append(f"{'fuzzy' if entry.fuzzy else 'untranslated'}: {message.msgid!r}")
        elif message.plural is not None and entry.plural != message.plural:
            problems.append(f"plural differs: {message.msgid!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_header_names_its_language_and_plurals(language):
    header = _catalog(language)[(None, "")]
    assert not header.fuzzy
    text = header.msgstr[0]
    assert f"Language: {language}\n" in text
    assert ("nplurals=1; plural=0;" if language == "my" else "nplurals=2; plural=(n != 1);") \
        in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(language):
    folder = LOCALE / language / "LC_MESSAGES"
    expected = mo_catalog(read_po(folder / "django.po"))
    compiled = read_mo(folder / "django.mo")
    missing = sorted(str(k) for k in expected.keys() - compiled.keys())
    extra = sorted(str(k) for k in compiled.keys() - expected.keys())
    changed = sorted(str(k) for k in expected.keys() & compiled.keys()
                     if expected[k] != compiled[k])
    assert not (missing or extra or changed), (
        f"django.mo is out of date with django.po for {language}: run make messages "
        f"(missing {missing[:5]}, extra {extra[:5]}, changed {changed[:5]})"
    )


SAMPLE_PO = r'''# A comment
msgid ""
msgstr ""
"Language: bn\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: a.py
msgid "Save"
msgstr "সংরক্ষণ করুন"

#, python-format
msgid ""
"A long text "
"on two lines"
msgstr ""
"একটি লম্বা "
"লেখা"

msgctxt "text shown in English"
msgid "[EN]"
msgstr "[ইংরেজি]"

#, python-format
msgid "%(n)s entry"
msgid_plural "%(n)s entries"
msgstr[0] "%(n)sটি এন্ট্রি"
msgstr[1] "%(n)sটি এন্ট্রি"

#, fuzzy
msgid "Guessed"
msgstr "অনুমান"

msgid "Not yet"
msgstr ""

msgid "Quote \"this\" and a\\backslash"
msgstr "উদ্ধৃতি \"এটি\""

#~ msgid "Old"
#~ msgstr "পুরোনো"
'''


def test_the_po_reader_reads_what_makemessages_writes(tmp_path):
    path = tmp_path / "django.po"
    path.write_text(SAMPLE_PO, encoding="utf-8")
    catalog = mo_catalog(read_po(path))
    assert catalog == {
        "": "Language: bn\nContent-Type: text/plain; charset=UTF-8\n"
            "Plural-Forms: nplurals=2; plural=(n != 1);\n",
        "Save": "সংরক্ষণ করুন",
        "A long text on two lines": "একটি লম্বা লেখা",
        "text shown in English\x04[EN]": "[ইংরেজি]",
        ("%(n)s entry", 0): "%(n)sটি এন্ট্রি",
        ("%(n)s entry", 1): "%(n)sটি এন্ট্রি",
        'Quote "this" and a\\backslash': 'উদ্ধৃতি "এটি"',
    }
    entries = {e.msgid: e for e in read_po(path)}
    assert entries["Guessed"].fuzzy
    assert entries["Old"].obsolete
    assert not entries["Not yet"].translated


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_the_reader_agrees_with_gnu_msgfmt(tmp_path):
    """Checked against the reference compiler where it is available (the other tests never
    need it)."""
    sample = tmp_path / "sample.po"
    sample.write_text(SAMPLE_PO, encoding="utf-8")
    for po in [sample, *(LOCALE / lang / "LC_MESSAGES" / "django.po" for lang in LANGUAGES)]:
        mo = tmp_path / f"{po.parent.parent.name}-{po.stem}.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
        assert read_mo(mo) == mo_catalog(read_po(po)), po


def test_a_po_file_edited_after_compiling_is_caught(tmp_path):
    folder = LOCALE / "bn" / "LC_MESSAGES"
    edited = tmp_path / "django.po"
    text = (folder / "django.po").read_text(encoding="utf-8")
    assert 'msgstr "বলতে চাই না"' in text
    edited.write_text(text.replace('msgstr "বলতে চাই না"', 'msgstr "বলব না"'), encoding="utf-8")
    expected, compiled = mo_catalog(read_po(edited)), read_mo(folder / "django.mo")
    assert expected["Prefer not to say"] == "বলব না"
    assert compiled["Prefer not to say"] == "বলতে চাই না"
