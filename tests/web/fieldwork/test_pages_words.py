"""The question-set and import pages speak plain words: no instrument ids or codes, and counts
in the right plural form."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from empower.instruments import library


def _text(html: str) -> str:
    """The words of the page's main part (not the menu or the footer), tags removed."""
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_question_sets_name_languages_and_count_questions(login, org_a):
    words = _text(login(org_a, "analyst").get(reverse("instrument_list")).content.decode())
    interview = library()["empowerment-interview@2.0"]
    questions = len(interview.items)
    assert questions > 1
    assert f"Version 2.0 · {questions} questions · languages: English, Bengali, Burmese" in words
    assert "languages: en" not in words


def test_the_upload_form_names_question_sets_by_title_and_version(login, org_a):
    page = login(org_a, "interviewer").get(reverse("import_upload")).content.decode()
    assert "Empowerment interview, version 2.0" in page
    assert "empowerment-interview@2.0)" not in page  # ids only as option values
    assert ">Empowerment interview (empowerment-interview@2.0)<" not in page
    words = _text(page)
    assert "API" not in words and "XML names as headers" not in words
    assert "Question set, for submissions that do not say which they used" in words


def test_the_dry_run_names_the_question_set_and_counts_in_words(org_a, people, login,
                                                                 data_file):
    client = login(org_a, "interviewer")
    response = client.post(reverse("import_upload"), {
        "file": SimpleUploadedFile("data.json", data_file("kobo_api_v2.json"))})
    page = client.get(response["Location"]).content.decode()
    words = _text(page)
    assert words.count("Empowerment interview, version 2.0") == 3
    assert "empowerment-interview@2.0" not in words
    assert "3 would be added" in words and "0 with problems" in words
    assert "{% blocktranslate" not in page and "{% plural" not in page
    assert "KoboToolbox data file (JSON)" in words and "API" not in words
