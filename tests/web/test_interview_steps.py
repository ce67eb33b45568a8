"""The interview in short steps: going back and forth keeps every answer, each step is kept in
the encrypted draft, and a step is only left forward when its answers are fine.

Step numbers of empowerment-interview 2.0, from its YAML: 1 the ladder (and the date), 2 family,
3 community, 4 rescue, … 10 officials and police, 11 services received.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import connection
from django.urls import reverse

from empower.web.assessments.models import Assessment, AssessmentDraft

LADDER = {
    "conducted_on": date.today().isoformat(), "rating__healing": "7", "rating__purpose": "1",
    "rating__inner_peace": "10", "rating__self_capacity": "prefer_not_to_say",
}


def _url(participant):
    return reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])


def _checked(page, name, value):
    return re.search(rf'<input[^>]*name="{name}" value="{value}"[^>]*checked', page) is not None


def _post(client, address, step, action="next", **fields):
    return client.post(address, {**fields, "step": str(step), action: "1"})


def test_the_interview_shows_one_step_with_its_place_in_the_whole(
    login, org_a, make_participant
):
    participant = make_participant(org_a)
    page = login(org_a, "interviewer").get(_url(participant)).content.decode()
    assert "Step 1 of 11" in page
    assert 'name="rating__healing"' in page
    assert 'name="effect__family__healing"' not in page  # step 2
    assert 'name="service-0-service_type"' not in page  # step 11
    assert '<progress max="11" value="1"' in page
    assert page.count('name="goto"') == 10  # every other step can be opened from the list


def test_back_and_forth_keeps_every_answer(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    response = _post(client, _url(participant), 1, **LADDER)
    assert response.status_code == 302
    step2 = response["Location"]
    draft = AssessmentDraft.objects.get()
    assert step2 == f"{_url(participant)}?draft={draft.pk}&step=2"

    response = _post(client, step2, 2, **{"effect__family__healing": "-1",
                                          "note__family": "Home again."})
    step3 = response["Location"]
    assert step3.endswith("&step=3")
    # Back from step 3 without answering anything there; then back again to step 1.
    response = _post(client, step3, 3, action="back")
    assert response["Location"].endswith("&step=2")
    page = client.get(response["Location"]).content.decode()
    assert _checked(page, "effect__family__healing", "-1")
    assert "Home again." in page
    response = _post(client, response["Location"], 2, action="back",
                     **{"effect__family__healing": "-1", "note__family": "Home again."})
    page = client.get(response["Location"]).content.decode()
    assert "Step 1 of 11" in page
    assert _checked(page, "rating__healing", "7")
    assert _checked(page, "rating__self_capacity", "prefer_not_to_say")
    assert f'value="{LADDER["conducted_on"]}"' in page
    # Forward again: step 2 still holds what was given there.
    response = _post(client, response["Location"], 1, **LADDER)
    page = client.get(response["Location"]).content.decode()
    assert _checked(page, "effect__family__healing", "-1")
    assert "Home again." in page
    assert not Assessment.objects.exists()


def test_each_step_is_kept_encrypted_in_the_draft(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    address = _post(client, _url(participant), 1, **LADDER)["Location"]
    draft = AssessmentDraft.objects.get()
    assert draft.data["rating__healing"] == ["7"] and draft.step == 2
    address = _post(client, address, 2, **{"note__family": "Words 7731",
                                           "effect__family__purpose": "2"})["Location"]
    draft.refresh_from_db()
    assert draft.step == 3
    assert draft.data["note__family"] == ["Words 7731"]
    assert draft.data["effect__family__purpose"] == ["2"]
    assert draft.data["rating__healing"] == ["7"]  # step 1 is still there
    _post(client, address, 3, **{"effect__community__healing": "0"})
    draft.refresh_from_db()
    assert draft.step == 4 and draft.data["effect__community__healing"] == ["0"]
    assert AssessmentDraft.objects.count() == 1  # one interview, one draft
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM assessments_assessmentdraft")
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "7731" not in stored
    # Resuming from the participant's page opens the step it was left at.
    page = client.get(f"{_url(participant)}?draft={draft.pk}").content.decode()
    assert "Step 4 of 11" in page


def test_a_cleared_answer_is_cleared_in_the_draft(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    address = _post(client, _url(participant), 1, **LADDER)["Location"]
    _post(client, address, 2, action="back", note__family="First thoughts")
    draft = AssessmentDraft.objects.get()
    assert draft.data["note__family"] == ["First thoughts"]
    _post(client, f"{_url(participant)}?draft={draft.pk}", 2, action="back", note__family="")
    draft.refresh_from_db()
    assert draft.data["note__family"] == [""]
    assert draft.data["rating__healing"] == ["7"]


def test_a_step_with_a_missing_required_answer_is_not_left_forward(
    login, org_a, make_participant
):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    ladder = {k: v for k, v in LADDER.items() if k != "rating__purpose"}
    response = _post(client, _url(participant), 1, **ladder)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Step 1 of 11" in page
    assert 'class="field question has-error" id="q-rating__purpose"' in page
    assert 'class="field question has-error" id="q-rating__healing"' not in page
    # What was given is kept all the same.
    assert AssessmentDraft.objects.get().data["rating__healing"] == ["7"]
    # Back is never held up.
    page2 = _post(client, f"{_url(participant)}?draft={AssessmentDraft.objects.get().pk}", 2,
                  action="back")
    assert page2.status_code == 302


def test_a_long_note_is_refused_with_a_message_and_kept_whole(
    login, org_a, make_participant
):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    address = _post(client, _url(participant), 1, **LADDER)["Location"]
    page = client.get(address).content.decode()
    textarea = re.search(r"<textarea[^>]*>", page).group(0)
    assert "maxlength" not in textarea  # the browser would cut a paste without a word
    assert 'data-limit="4000"' in textarea
    assert "Up to 4000 characters." in page
    note = "ক" * 4001
    response = _post(client, address, 2, note__family=note)
    assert response.status_code == 200
    assert "this one has 4001" in response.content.decode()
    assert "nothing has been cut" in response.content.decode()
    assert AssessmentDraft.objects.get().data["note__family"] == [note]
    # A note of exactly 4000 characters goes through.
    assert _post(client, address, 2, note__family="ক" * 4000).status_code == 302


def test_add_another_service_says_why_it_adds_nothing(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    response = _post(client, _url(participant), 11, action="add_service", service_count="1")
    assert response["Location"].endswith("&add=blank#add-service")
    page = client.get(response["Location"]).content.decode()
    assert "Service 1 is still empty: choose which service it was, then add another." in page
    assert 'name="service-1-service_type"' not in page

    draft = AssessmentDraft.objects.get()
    full = {"service_count": "20"}
    full.update({f"service-{n}-service_type": "shelter" for n in range(20)})
    full.update({f"service-{n}-provider_type": "ngo_cso" for n in range(20)})
    response = _post(client, f"{_url(participant)}?draft={draft.pk}", 11,
                     action="add_service", **full)
    page = client.get(response["Location"]).content.decode()
    assert "No more services can be added: an interview holds at most 20 services." in page
    assert 'name="service-19-service_type"' in page
    assert 'name="service-20-service_type"' not in page


def test_not_applicable_is_in_the_interview_language(login, org_a, make_participant):
    from empower.instruments import get_instrument

    scale = get_instrument("empowerment-interview", "2.0").scales["effect"]
    meaning = next(o.label for o in scale.options if o.value == "not_applicable")
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")  # the interviewer reads English
    for language, short in (("my", "မသက်ဆိုင်"), ("bn", "প্রযোজ্য নয়")):
        page = client.get(_url(participant) + f"?lang={language}&step=2").content.decode()
        section = page[page.index('<section class="block"'):page.index("</section>")]
        assert f"{short} = {meaning[language]}" in section
        assert "N/A" not in section and "Does not apply" not in section
        assert re.search(rf'value="not_applicable"[^>]*><span>{short}</span>', section)
        assert "Prefer not to say" not in section


def test_the_paused_interview_is_named_by_its_title(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    _post(client, _url(participant), 1, action="pause", **LADDER)
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert "Resume “Empowerment interview 2.0”" in page
    link_text = re.search(r'\?draft=\d+">([^<]*)</a>', page).group(1)
    assert link_text == "Resume “Empowerment interview 2.0”"
