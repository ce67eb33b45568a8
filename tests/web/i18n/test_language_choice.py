"""Whose language is used where: the person's own for the interface, the participant's for the
interview and the consent, with a visible mark where a translation is missing."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from empower.web.accounts.models import Membership
from empower.web.people.models import Consent

INTERVIEW = ("empowerment-interview", "2.0")
BN_PREFER_NOT = "বলতে চাই না"
MY_PREFER_NOT = "မပြောလိုပါ"
BN_PARTICIPANTS = "অংশগ্রহণকারীরা"


def _interview_url(participant, query: str = "") -> str:
    return reverse("assessment_new", args=[participant.code, *INTERVIEW]) + query


def _consent(participant, language: str, days_ago: int) -> Consent:
    return Consent.objects.create(
        participant=participant, given_at=timezone.now() - timedelta(days=days_ago),
        how_given="written", language=language,
    )


# -- the person's own language ---------------------------------------------------------------


def test_the_stored_language_is_used_on_every_request(login_in, org_a, settings):
    client = login_in(org_a, "interviewer", "bn")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # another device's choice
    page = client.get(reverse("participant_list"), HTTP_ACCEPT_LANGUAGE="my").content.decode()
    assert '<html lang="bn">' in page
    assert BN_PARTICIPANTS in page


def test_the_cookie_follows_the_stored_language(login_in, org_a, settings):
    client = login_in(org_a, "analyst", "my")
    response = client.get(reverse("home"))
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "my"


def test_without_a_stored_language_the_device_decides(login, org_a):
    client = login(org_a, "interviewer")
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="my").content.decode()
    assert '<html lang="my">' in page


def test_the_switcher_stores_the_choice(login_in, org_a):
    client = login_in(org_a, "interviewer", "bn")
    response = client.post(reverse("set_language"), {"language": "my", "next": "/participants/"})
    assert response.status_code == 302
    assert Membership.objects.get(organisation=org_a).language == "my"
    page = client.get("/participants/").content.decode()
    assert '<html lang="my">' in page


def test_the_switcher_refuses_a_language_the_site_does_not_offer(login_in, org_a):
    client = login_in(org_a, "interviewer", "bn")
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert Membership.objects.get(organisation=org_a).language == "bn"


@pytest.mark.parametrize("role", ["admin", "interviewer", "analyst", "viewer"])
def test_every_role_can_choose_a_language(role, login, org_a):
    client = login(org_a, role)
    url = reverse("account_language")
    page = client.get(url).content.decode()
    assert "বাংলা" in page and "မြန်မာ" in page  # each language named in its own script
    response = client.post(url, {"language": "bn"})
    assert response.status_code == 302
    assert Membership.objects.get(organisation=org_a, role=role).language == "bn"
    assert BN_PARTICIPANTS in client.get(reverse("home")).content.decode() or role == "viewer"
    assert '<html lang="bn">' in client.get(reverse("home")).content.decode()


def test_choosing_no_language_gives_the_choice_back_to_the_device(login_in, org_a):
    client = login_in(org_a, "interviewer", "bn")
    client.post(reverse("account_language"), {"language": ""})
    assert Membership.objects.get(organisation=org_a).language == ""


def test_an_unknown_language_is_refused_with_a_message(login_in, org_a):
    client = login_in(org_a, "interviewer", "bn")
    response = client.post(reverse("account_language"), {"language": "xx"})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert Membership.objects.get(organisation=org_a).language == "bn"


def test_the_language_page_needs_a_login(client):
    response = client.get(reverse("account_language"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_language_choice_changes_only_ones_own_membership(login, org_a, org_b, make_member):
    other = make_member(org_b, "interviewer", username="someone-else")
    client = login(org_a, "admin")
    client.post(reverse("account_language"), {"language": "my"})
    client.post(reverse("set_language"), {"language": "bn", "next": "/"})
    assert Membership.objects.get(user=other).language == ""


# -- the interview's language ---------------------------------------------------------------


def test_the_interview_defaults_to_the_language_of_the_latest_consent(
    login, org_a, make_participant, consent_factory
):
    participant = make_participant(org_a, consent=False)
    _consent(participant, "bn", days_ago=30)
    latest = _consent(participant, "my", days_ago=2)
    latest.decisions.create(purpose="interview", agreed=True, wording="…")
    client = login(org_a, "interviewer")
    page = client.get(_interview_url(participant)).content.decode()
    assert MY_PREFER_NOT in page
    assert 'name="interview_language" value="my"' in page


def test_a_consent_language_the_instrument_lacks_falls_back(login, org_a, make_participant):
    participant = make_participant(org_a)
    _consent(participant, "th", days_ago=0)
    client = login(org_a, "interviewer")
    page = client.get(_interview_url(participant)).content.decode()
    assert 'name="interview_language" value="en"' in page


def test_participant_parts_in_the_interview_language_staff_parts_in_the_users(
    login, org_a, make_participant
):
    from empower.instruments import get_instrument

    participant = make_participant(org_a)  # consent in English
    client = login(org_a, "interviewer")
    page = client.get(_interview_url(participant, "?lang=bn")).content.decode()
    instrument = get_instrument(*INTERVIEW)
    assert instrument.item("rating__healing").text["bn"] in page
    assert BN_PREFER_NOT in page
    assert "Prefer not to say" not in page
    # The effect questions come in the next step of the interview.
    step_2 = client.get(_interview_url(participant, "?lang=bn&step=2")).content.decode()
    assert "এটি আপনার জীবনের প্রতিটি দিকে কেমন প্রভাব ফেলেছে?" in step_2  # effect legend
    # the interviewer's own language: navigation, guidance and buttons (saving: the last step)
    last = client.get(_interview_url(participant, "?lang=bn&step=11")).content.decode()
    for staff_text in ("Participants", "Log out", "Save assessment", "Interview language:"):
        assert staff_text in last
    assert '<html lang="en">' in page


def test_a_bengali_interface_can_run_an_english_interview(login_in, org_a, make_participant):
    participant = make_participant(org_a)
    client = login_in(org_a, "interviewer", "bn")
    page = client.get(_interview_url(participant, "?lang=en")).content.decode()
    assert "Prefer not to say" in page
    assert BN_PREFER_NOT not in page.split('name="interview_language"')[1]
    assert BN_PARTICIPANTS in page
    last = client.get(_interview_url(participant, "?lang=en&step=11")).content.decode()
    assert "মূল্যায়ন সংরক্ষণ করুন" in last  # "Save assessment", in the last step


def test_the_chosen_language_is_kept_when_the_form_is_sent(login, org_a, make_participant):
    from empower.web.assessments.models import Assessment

    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    answers = {f"rating__{a}": "5" for a in ("healing", "purpose", "inner_peace",
                                              "self_capacity")}
    response = client.post(_interview_url(participant), {
        "conducted_on": date.today().isoformat(), "interview_language": "my", **answers,
    })
    assert response.status_code == 302
    assert Assessment.objects.get().language == "my"


def test_a_paused_interview_resumes_in_its_language(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    client.post(_interview_url(participant, "?lang=bn"), {"pause": "1"})
    draft = participant.drafts.get()
    assert draft.language == "bn"
    page = client.get(_interview_url(participant, f"?draft={draft.pk}")).content.decode()
    assert BN_PREFER_NOT in page
    # Switching language posts the answers so far into the same draft: nothing is lost.
    assert 'name="switch_language" value="my"' in page
    assert (f'action="/participants/{participant.code}/assess/empowerment-interview/2.0/'
            f'?draft={draft.pk}"') in page


@pytest.fixture
def interview_missing_bengali(monkeypatch):
    """The bundled interview with one question left untranslated into Bengali."""
    from empower.instruments import get_instrument
    from empower.web.assessments import views

    instrument = copy.deepcopy(get_instrument(*INTERVIEW))
    item = instrument.item("rating__healing")
    del item.text["bn"]
    monkeypatch.setattr(views, "get_instrument", lambda *args: instrument)
    return item


def test_a_missing_translation_is_shown_in_english_with_a_mark(
    login, org_a, make_participant, interview_missing_bengali
):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    page = client.get(_interview_url(participant, "?lang=bn")).content.decode()
    assert f"{interview_missing_bengali.text['en']} [ইংরেজি]" in page
    assert "[ইংরেজি] চিহ্ন দেওয়া লেখাগুলো এখনো এই ভাষায় অনুবাদ করা হয়নি" in page
    # Burmese still has every text: no mark, no explanation
    page = client.get(_interview_url(participant, "?lang=my")).content.decode()
    assert "[အင်္ဂလိပ်]" not in page and "[EN]" not in page


def test_a_complete_translation_shows_no_mark(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    page = client.get(_interview_url(participant, "?lang=bn")).content.decode()
    assert "[ইংরেজি]" not in page and "[EN]" not in page


# -- the consent's language -----------------------------------------------------------------


@pytest.fixture
def consent_missing_bengali(monkeypatch):
    """Consent wording whose interview sentence and receipt title have no Bengali."""
    from empower.web.people import consent_texts

    text = copy.deepcopy(consent_texts.wording())
    del text["purposes"]["interview"]["bn"]
    del text["receipt"]["title"]["bn"]
    monkeypatch.setattr(consent_texts, "wording", lambda version="2026-1": text)
    return text


def _give_consent(client, participant, query: str = ""):
    url = reverse("consent_create", args=[participant.code]) + query
    return client.post(url, {"given_at": "2026-01-10T10:00", "how_given": "written",
                             "given_by": "participant", "answer_interview": "yes",
                             "answer_research": "no"})


def test_the_consent_form_defaults_to_the_latest_consents_language(
    login, org_a, make_participant
):
    participant = make_participant(org_a, consent=False)
    _consent(participant, "bn", days_ago=3)
    client = login(org_a, "interviewer")
    page = client.get(reverse("consent_create", args=[participant.code])).content.decode()
    assert 'name="consent_language" value="bn"' in page
    assert "আমি এই সাক্ষাৎকারে অংশ নিতে রাজি।" in page
    assert "জিজ্ঞেস করা হয়নি" in page  # the answers are read in Bengali too
    assert "Save consent" in page and "Participants" in page  # the worker's own language


def test_consent_and_receipt_mark_missing_translations(
    login, org_a, make_participant, consent_missing_bengali
):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    page = client.get(reverse("consent_create", args=[participant.code]) + "?lang=bn")
    page = page.content.decode()
    english = escape(consent_missing_bengali["purposes"]["interview"]["en"].strip())
    assert english in page
    assert "[ইংরেজি]" in page
    assert "[ইংরেজি] চিহ্ন দেওয়া লেখাগুলো" in page
    response = _give_consent(client, participant, "?lang=bn")
    assert response.status_code == 302
    consent = participant.consents.get()
    assert consent.language == "bn"
    receipt = client.get(response["Location"]).content.decode()
    assert "Your consent [ইংরেজি]" in receipt
    assert f"{english} <span class=\"fallback-mark\">[ইংরেজি]</span>" in receipt
    assert "[ইংরেজি] চিহ্ন দেওয়া লেখাগুলো" in receipt
    assert "Back to the participant" in receipt  # the worker's link stays in English


def test_a_fully_translated_receipt_has_no_mark(login_in, org_a, make_participant):
    participant = make_participant(org_a, consent=False)
    client = login_in(org_a, "interviewer", "my")
    response = _give_consent(client, participant, "?lang=bn")
    receipt = client.get(response["Location"]).content.decode()
    assert "আপনার সম্মতি" in receipt
    assert "[ইংরেজি]" not in receipt and "[EN]" not in receipt
    assert "ပါဝင်သူ၏ စာမျက်နှာသို့ ပြန်သွားရန်" in receipt  # worker's link in Burmese
    assert '<article class="receipt" lang="bn">' in receipt
