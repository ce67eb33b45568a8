"""Recording a participant, their consent and an interview through the site."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from empower.web.assessments.models import Assessment
from empower.web.people.models import Consent, Participant


def test_register_participant_gets_random_code_and_goes_to_consent(login, org_a):
    client = login(org_a, "interviewer")
    response = client.post(reverse("participant_create"), {
        "gender": "female", "year_of_birth": "2001", "region_of_origin": "  Mon  ",
        "exploitation_types": ["labour_trafficking", "exploited_worker"],
        "destination_country": "Thailand", "status": "returned",
    })
    participant = Participant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("consent_create", args=[participant.code])
    assert participant.organisation == org_a
    assert participant.region_of_origin == "Mon"
    assert participant.exploitation_types == ["labour_trafficking", "exploited_worker"]
    assert participant.code.startswith("P-") and len(participant.code) == 8
    assert not set(participant.code[2:]) & set("01IO")


def test_codes_are_not_derived_from_anything(org_a, make_participant):
    codes = {make_participant(org_a, gender="female").code for _ in range(30)}
    assert len(codes) == 30


def test_bad_year_of_birth_is_refused_with_a_message(login, org_a):
    client = login(org_a, "interviewer")
    response = client.post(reverse("participant_create"), {"year_of_birth": "1850"})
    assert response.status_code == 200
    assert "year of birth" in response.content.decode().lower()
    assert not Participant.objects.exists()


def test_consent_needs_at_least_one_scope(login, org_a, make_participant):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    response = client.post(reverse("consent_create", args=[participant.code]), {
        "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "how_given": "written", "given_by": "participant", "wording_version": "2026-1",
    })
    assert response.status_code == 200
    assert not Consent.objects.exists()


def _interview_post(**extra):
    data = {
        "conducted_on": date.today().isoformat(),
        "rating__healing": "7",           # (7 − 1) / 9 · 100 = 66.67
        "rating__purpose": "1",           # 0
        "rating__inner_peace": "10",      # 100
        "rating__self_capacity": "prefer_not_to_say",  # missing
        "effect__family__healing": "2",
        "effect__legal_process__inner_peace": "-2",
        "effect__rescue__purpose": "not_applicable",
        "note__family": "My mother stood by me.",
        "service_count": "1",
        "service-0-service_type": "vocational_training",
        "service-0-provider_type": "ngo_cso",
        "service-0-respected_wishes": "yes",
        "service-0-conditions": ["none"],
        "service-0-effect__self_capacity": "2",
        "save": "1",
    }
    data.update(extra)
    return data


#: The steps of empowerment-interview 2.0, worked out from its YAML by hand: the four ladder
#: ratings (with the date), one step per factor in the order the file lists them, services last.
FACTOR_STEPS = ["family", "community", "rescue", "legal_process", "mental_health",
                "psychosocial_support", "work_and_finances", "ngo_services",
                "officials_and_police"]
STEP_COUNT = 11


def _step_of(name):
    if name == "conducted_on" or name.startswith("rating__"):
        return 1
    if name.startswith("service"):
        return STEP_COUNT
    factor = name.split("__")[1]
    return FACTOR_STEPS.index(factor) + 2


def _walk(client, url, data):
    """Fill the interview in step by step as a browser without JavaScript does: each step
    posts only its own fields with "Next"; the last one posts "Save". Returns the last
    response and the address of every step page seen."""
    by_step = {n: {} for n in range(1, STEP_COUNT + 1)}
    for name, value in data.items():
        if name not in ("save",):
            by_step[_step_of(name)][name] = value
    seen = []
    address = url
    for number in range(1, STEP_COUNT + 1):
        fields = {**by_step[number], "step": str(number)}
        fields["save" if number == STEP_COUNT else "next"] = "1"
        response = client.post(address, fields)
        if number < STEP_COUNT:
            assert response.status_code == 302, (number, response.content.decode()[:500])
            address = response["Location"]
            assert f"step={number + 1}" in address
            seen.append(address)
    return response, seen


def test_interview_is_saved_and_scored(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response = client.post(url + "?lang=my", _interview_post())
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert assessment.instrument_key == "empowerment-interview@2.0"
    assert assessment.language == "my"
    assert assessment.answers["effect__family__healing"] == 2
    assert assessment.answers["effect__rescue__purpose"] == "not_applicable"
    assert assessment.narratives == {"note__family": "My mother stood by me."}
    assert "note__family" not in assessment.answers
    assert assessment.services[0]["service_type"] == "vocational_training"
    assert assessment.services[0]["respected_wishes"] is True
    scores = {s.axis: s for s in assessment.scores.all()}
    assert scores["healing"].score == pytest.approx(600 / 9)
    assert scores["purpose"].score == 0
    assert scores["inner_peace"].score == 100
    assert scores["self_capacity"].score is None and scores["self_capacity"].missing_reason
    assert {s.instrument_version for s in scores.values()} == {"2.0"}
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "66.7" in detail.content.decode()


def test_scales_assessment_scores_subscales(login, org_a, make_participant):
    from empower.instruments import get_instrument

    instrument = get_instrument("empowerment-scales", "1.0")
    subscale = next(s for s in instrument.subscales if s.axis == "self_capacity")
    # Answer every self-capacity item with the keyed value 4 (a reverse item therefore gets 2):
    # the subscale mean is 4 on 1–5, so the score is (4 − 1) / 4 · 100 = 75.
    data = {"conducted_on": date.today().isoformat(), "save": "1"}
    for item_id in subscale.items:
        data[item_id] = "2" if instrument.item(item_id).reverse else "4"
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-scales", "1.0"])
    assert client.post(url, data).status_code == 302
    scores = {s.axis: s for s in Assessment.objects.get().scores.all()}
    assert scores["self_capacity"].score == pytest.approx(75.0)
    assert scores["inner_peace"].score is None  # nothing answered → below 80 %


def test_no_assessment_without_consent(login, org_a, make_participant):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response = client.post(url, _interview_post())
    assert response.status_code == 200
    assert "No consent record covers this interview" in response.content.decode()
    assert not Assessment.objects.exists()


def test_no_assessment_after_consent_is_withdrawn(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    consent = participant.consents.get()
    client.post(reverse("consent_withdraw", args=[participant.code, consent.pk]),
                {"confirm": "yes"})
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response = client.post(url, _interview_post())
    assert "No consent record covers this interview" in response.content.decode()
    assert not Assessment.objects.exists()


def test_consent_for_research_only_does_not_cover_an_interview(login, org_a, make_participant):
    participant = make_participant(org_a, purposes=("research",))
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    client.post(url, _interview_post())
    assert not Assessment.objects.exists()


def test_consent_given_after_the_interview_date_does_not_cover_it(login, org_a, make_participant):
    participant = make_participant(org_a)  # consent given yesterday
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    last_week = (date.today() - timedelta(days=7)).isoformat()
    response = client.post(url, _interview_post(conducted_on=last_week))
    assert "No consent record covers this interview" in response.content.decode()
    assert not Assessment.objects.exists()


def test_tampered_answer_is_refused_and_nothing_saved(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response = client.post(url, _interview_post(rating__healing="11"))
    assert response.status_code == 200
    assert "rating__healing" in response.content.decode() or "Select a valid choice" in (
        response.content.decode()
    )
    assert not Assessment.objects.exists()


def test_service_without_provider_is_refused(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response = client.post(url, _interview_post(**{"service-0-provider_type": ""}))
    assert "Choose who provided this service" in response.content.decode()
    assert not Assessment.objects.exists()


def test_add_service_button_adds_a_blank_entry_without_saving(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    data = {name: value for name, value in _interview_post().items()
            if name.startswith("service")}
    data.update(step=str(STEP_COUNT), add_service="1")
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].endswith("#service-1")  # straight to the new entry
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="service-1-service_type"' in page.content.decode()
    assert 'value="vocational_training" selected' in page.content.decode()
    assert not Assessment.objects.exists()


def test_interview_through_every_step_saves_the_same_scores(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response, seen = _walk(client, url + "?lang=my", _interview_post())
    assert len(seen) == STEP_COUNT - 1
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment = Assessment.objects.get()
    assert assessment.language == "my"
    assert assessment.answers["effect__family__healing"] == 2
    assert assessment.answers["effect__legal_process__inner_peace"] == -2
    assert assessment.answers["effect__rescue__purpose"] == "not_applicable"
    assert assessment.narratives == {"note__family": "My mother stood by me."}
    assert assessment.services == [{
        "service_type": "vocational_training", "provider_type": "ngo_cso",
        "respected_wishes": True, "conditions": ["none"],
        "effects": {"healing": None, "purpose": None, "inner_peace": None,
                    "self_capacity": 2},
    }]
    scores = {s.axis: s for s in assessment.scores.all()}
    assert scores["healing"].score == pytest.approx(600 / 9)   # (7 − 1) / 9 · 100
    assert scores["purpose"].score == 0                        # (1 − 1) / 9 · 100
    assert scores["inner_peace"].score == 100                  # (10 − 1) / 9 · 100
    assert scores["self_capacity"].score is None and scores["self_capacity"].missing_reason
    assert not participant.drafts.exists()  # the draft of the steps is gone once saved


def test_a_missing_answer_is_shown_at_its_step_and_question(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    data = _interview_post()
    data.pop("rating__purpose")
    # The whole interview in one post, as an older page would send it: the required rating of
    # step 1 is missing, so step 1 is shown with the question marked and a list that leads to it.
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert not Assessment.objects.exists()
    assert "Step 1 of 11" in page
    assert re.search(r'class="field question has-error" id="q-rating__purpose"', page)
    assert 'name="goto" value="1:rating__purpose"' in page
    # The list's button stores the step and lands on the question.
    draft = participant.drafts.get()
    jump = client.post(url + f"?draft={draft.pk}", {"step": "1", "check": "1",
                                                    "goto": "1:rating__purpose"})
    assert jump["Location"].endswith("step=1&check=1#q-rating__purpose")
    assert "has-error" in client.get(jump["Location"]).content.decode()


def test_effect_answers_read_as_their_labels_on_the_assessment_page(
    login, org_a, make_participant
):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response = client.post(url, _interview_post(rating__purpose="prefer_not_to_say"))
    page = client.get(response["Location"]).content.decode()
    assert "+2 strongly empowering" in page
    assert "−2 strongly disempowering" in page
    assert "2 – +2" not in page and "-2 – −2" not in page
    assert "10 – completely" in page and "10 – 10" not in page
    assert "prefer_not_to_say" not in page and "not_applicable" not in page
    assert "Prefer not to say" in page and "Does not apply to me" in page


def test_form_shows_instrument_in_chosen_language(login, org_a, make_participant):
    from empower.instruments import get_instrument

    instrument = get_instrument("empowerment-interview", "2.0")
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    page = client.get(url + "?lang=bn").content.decode()
    assert instrument.item("rating__healing").text["bn"] in page
    assert instrument.item("rating__healing").text["en"] not in page


def test_participant_page_draws_the_axis_chart(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    client.post(url, _interview_post())
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert "<svg" in page
    assert "66.7" in page


def test_services_are_shown_in_words_not_codes(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    url = reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])
    response = client.post(url, _interview_post())
    page = client.get(response["Location"]).content.decode()
    assert "vocational_training" not in page
    from empower.instruments import get_instrument

    block = get_instrument("empowerment-interview", "2.0").services
    label = next(o.label["en"] for o in block.service_types if o.value == "vocational_training")
    assert label in page
