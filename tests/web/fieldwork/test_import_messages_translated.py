"""The problems and notes of an import are shown in the reader's language, even those made by
the pure file reader (``empower.instruments.submissions``), which knows nothing of Django."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from empower.web.accounts.models import Membership
from empower.web.fieldwork.models import PendingImport

ALLOWED = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, prefer_not_to_say"

#: What the page must say, written out by hand from the catalogues (not by the code).
EXPECTED = {
    "en": [
        "no participant with this code in your organisation",
        f"'seven' is not an answer on scale 'ladder' (allowed: {ALLOWED})",
        "This file has no services data (a plain CSV holds no repeat groups)",
    ],
    "bn": [
        "আপনার সংস্থায় এই কোডের কোনো অংশগ্রহণকারী নেই",
        f"'seven' 'ladder' মাপকাঠির কোনো উত্তর নয় (যা চলবে: {ALLOWED})",
        "এই ফাইলে সেবার কোনো তথ্য নেই (সাধারণ CSV-তে পুনরাবৃত্ত অংশ থাকে না)",
    ],
    "my": [
        "သင့်အဖွဲ့အစည်းတွင် ဤကုဒ်ရှိသော ပါဝင်သူ မရှိပါ",
        f"'seven' သည် 'ladder' အတိုင်းအတာ၏ အဖြေ မဟုတ်ပါ (ခွင့်ပြုထားသည်များ- {ALLOWED})",
        "ဤဖိုင်တွင် ဝန်ဆောင်မှု အချက်အလက် မပါပါ (ရိုးရိုး CSV တွင် ထပ်ခါထပ်ခါ အပိုင်းများ မပါပါ)",
    ],
}


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """The locale middleware leaves the last page's language active in this thread; later
    tests compare English messages."""
    yield
    translation.deactivate()


@pytest.fixture
def two_of_three(org_a, make_participant, consent_factory):
    """Two of the file's participants; the first row's code (P-7KQ4MX) is unknown here."""
    for code in ("P-3HW9TD", "P-N2C8RF"):
        participant = make_participant(org_a, consent=False, code=code)
        consent_factory(participant, "interview", "own_reporting", days_ago=400)


def _review_page(client, data_file) -> str:
    client.post(reverse("import_upload"), {
        "file": SimpleUploadedFile("wrong.csv", data_file("kobo_wrong_types.csv"))})
    pending = PendingImport.objects.latest("pk")
    response = client.get(reverse("import_review", args=[pending.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _set_language(org, language):
    Membership.objects.filter(organisation=org, role="interviewer").update(language=language)


@pytest.mark.parametrize("language", ["bn", "my"])
def test_import_problems_and_notes_are_shown_in_the_readers_language(
        language, org_a, login, two_of_three, data_file):
    client = login(org_a, "interviewer")
    _set_language(org_a, language)
    page = _review_page(client, data_file)
    assert f'<html lang="{language}">' in page
    for expected in EXPECTED[language]:
        assert expected in page
    for english in EXPECTED["en"]:
        assert english not in page
    assert "is not an answer on scale" not in page
    assert "P-7KQ4MX" in page  # the values themselves are never translated


def test_english_readers_see_english(org_a, login, two_of_three, data_file):
    client = login(org_a, "interviewer")
    _set_language(org_a, "en")
    page = _review_page(client, data_file)
    for expected in EXPECTED["en"]:
        assert expected in page
    assert EXPECTED["bn"][0] not in page and EXPECTED["my"][0] not in page


def test_the_same_file_follows_a_change_of_language(org_a, login, two_of_three, data_file):
    """The messages are rendered when the page is, so one upload reads in whichever language
    its reader has chosen at that moment."""
    client = login(org_a, "interviewer")
    _set_language(org_a, "bn")
    assert EXPECTED["bn"][0] in _review_page(client, data_file)
    _set_language(org_a, "my")
    pending = PendingImport.objects.latest("pk")
    page = html.unescape(client.get(reverse("import_review", args=[pending.pk])).content.decode())
    assert EXPECTED["my"][0] in page and EXPECTED["bn"][0] not in page


def test_a_file_that_cannot_be_read_is_explained_in_the_readers_language(
        org_a, login, data_file):
    client = login(org_a, "interviewer")
    _set_language(org_a, "bn")
    page = _review_page_for(client, data_file("not_json.json"), "not_json.json")
    assert "ফাইলটি সঠিক JSON নয় (লাইন 1, কলাম 1: " in page
    assert "KoboToolbox API থেকে এটি আবার ডাউনলোড করুন" in page
    assert "not valid JSON" not in page


def _review_page_for(client, data: bytes, name: str) -> str:
    client.post(reverse("import_upload"), {"file": SimpleUploadedFile(name, data)})
    pending = PendingImport.objects.latest("pk")
    return html.unescape(client.get(reverse("import_review", args=[pending.pk])).content.decode())
