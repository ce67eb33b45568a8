"""The interview, consent and receipt pages in Bengali and Burmese.

The expected words are written out here by hand (from the catalogues and the consent and
instrument texts), not read from the catalogues the site uses.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

#: language → (English source, expected translation)
EXPECTED = {
    "bn": {
        "Prefer not to say": "বলতে চাই না",
        "Save assessment": "মূল্যায়ন সংরক্ষণ করুন",
        "Stop the interview gently": "সাক্ষাৎকারটি যত্ন নিয়ে থামান",
        "Save consent": "সম্মতি সংরক্ষণ করুন",
        "Not asked": "জিজ্ঞেস করা হয়নি",
        "Quick exit": "দ্রুত বের হোন",
        "Back to the participant": "অংশগ্রহণকারীর পাতায় ফিরে যান",
        "Your consent": "আপনার সম্মতি",
        "Log in": "লগইন করুন",
        "Not found": "পাওয়া যায়নি",
    },
    "my": {
        "Prefer not to say": "မပြောလိုပါ",
        "Save assessment": "အကဲဖြတ်ချက်ကို သိမ်းရန်",
        "Stop the interview gently": "အင်တာဗျူးကို ညင်သာစွာ ရပ်ရန်",
        "Save consent": "သဘောတူညီချက်ကို သိမ်းရန်",
        "Not asked": "မမေးရသေးပါ",
        "Quick exit": "အမြန်ထွက်ရန်",
        "Back to the participant": "ပါဝင်သူ၏ စာမျက်နှာသို့ ပြန်သွားရန်",
        "Your consent": "သင်၏ သဘောတူညီချက်",
        "Log in": "ဝင်ရောက်ရန်",
        "Not found": "ရှာမတွေ့ပါ",
    },
}


def _check(page: str, language: str, sources: list[str]) -> None:
    for source in sources:
        assert EXPECTED[language][source] in page, (language, source)
        assert source not in page, (language, source)


@pytest.mark.parametrize("language", ["bn", "my"])
def test_interview_page(language, login_in, org_a, make_participant):
    participant = make_participant(org_a)
    client = login_in(org_a, "interviewer", language)
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    first = client.get(url + f"?lang={language}").content.decode()
    _check(first, language, ["Prefer not to say"])
    # The last step of the interview: the one with the Save button.
    page = client.get(url + f"?lang={language}&step=11").content.decode()
    assert f'<html lang="{language}">' in page
    _check(page, language, ["Save assessment", "Stop the interview gently",
                            "Quick exit"])


@pytest.mark.parametrize("language", ["bn", "my"])
def test_stopped_page(language, login_in, org_a, make_participant):
    participant = make_participant(org_a)
    client = login_in(org_a, "interviewer", language)
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    page = client.post(url + f"?lang={language}", {"distress": "1"}).content.decode()
    _check(page, language, ["Back to the participant"])
    assert "The interview has stopped" not in page


@pytest.mark.parametrize("language", ["bn", "my"])
def test_consent_form_and_receipt(language, login_in, org_a, make_participant):
    participant = make_participant(org_a, consent=False)
    client = login_in(org_a, "interviewer", language)
    url = reverse("consent_create", args=[participant.code]) + f"?lang={language}"
    page = client.get(url).content.decode()
    _check(page, language, ["Save consent", "Not asked"])
    response = client.post(url, {"given_at": "2026-01-10T10:00", "how_given": "written",
                                 "given_by": "participant", "answer_interview": "yes"})
    assert response.status_code == 302
    receipt = client.get(response["Location"]).content.decode()
    _check(receipt, language, ["Your consent", "Back to the participant"])


@pytest.mark.parametrize("language", ["bn", "my"])
def test_login_and_error_pages_follow_the_language_cookie(language, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    _check(client.get(reverse("login")).content.decode(), language, ["Log in", "Quick exit"])
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    _check(missing.content.decode(), language, ["Not found"])
