"""Safe interviews: quick exit, prefer-not-to-say, pause and resume, stopping for distress."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from empower.instruments import library
from empower.web.assessments.forms import AnswersForm
from empower.web.assessments.models import Assessment, AssessmentDraft
from empower.web.people.models import Referral


def _url(participant):
    return reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])


def test_every_page_offers_a_quick_exit(login, org_a, make_participant, client):
    assert 'id="quick-exit"' in client.get(reverse("login")).content.decode()
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    for url in [reverse("home"), reverse("participant_list"), _url(participant),
                reverse("participant_detail", args=[participant.code])]:
        assert 'id="quick-exit"' in client.get(url).content.decode(), url


def test_quick_exit_ends_the_session_and_shows_nothing_of_empower(login, org_a):
    client = login(org_a, "interviewer")
    page = client.get(reverse("quick_exit"))
    assert page.status_code == 200
    assert "empower" not in page.content.decode().lower()
    assert "no-store" in page["Cache-Control"].split(", ")
    assert client.get(reverse("home")).status_code == 302  # logged out


def test_quick_exit_can_send_people_to_a_site_of_the_operators_choice(client, settings, db):
    settings.EMPOWER_QUICK_EXIT_URL = "https://example.org/weather"
    assert client.get(reverse("quick_exit"))["Location"] == "https://example.org/weather"


@pytest.mark.parametrize("key", sorted(library()))
def test_every_scored_question_offers_prefer_not_to_say(key):
    instrument = library()[key]
    form = AnswersForm(instrument, "en")
    for item in instrument.items:
        if item.kind in ("rating", "effect"):
            values = [value for value, _label in form.fields[item.id].choices]
            assert "prefer_not_to_say" in values, item.id


def test_pause_keeps_answers_encrypted_and_resume_shows_them(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    client.post(_url(participant), {
        "conducted_on": date.today().isoformat(), "rating__healing": "4",
        "note__family": "Secret words 5521", "service_count": "2",
        "service-1-service_type": "shelter", "pause": "1",
    })
    draft = AssessmentDraft.objects.get()
    assert not Assessment.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM assessments_assessmentdraft")
        stored = cursor.fetchone()[0]
    assert "5521" not in stored and stored.startswith("enc1:")
    # The interview is in steps now: the ladder is step 1, "family" step 2, services step 11.
    page = client.get(_url(participant) + f"?draft={draft.pk}").content.decode()
    assert re.search(r'<input[^>]*name="rating__healing" value="4"[^>]*checked', page)
    assert not re.search(r'<input[^>]*name="rating__healing" value="5"[^>]*checked', page)
    assert "This field is required" not in page  # a resumed form is not scolded
    page = client.get(_url(participant) + f"?draft={draft.pk}&step=2").content.decode()
    assert "Secret words 5521" in page
    page = client.get(_url(participant) + f"?draft={draft.pk}&step=11").content.decode()
    assert 'name="service-1-service_type"' in page
    assert "This field is required" not in page


def test_saving_the_resumed_interview_removes_the_draft(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    client.post(_url(participant), {"rating__healing": "4", "pause": "1"})
    assert AssessmentDraft.objects.count() == 1
    client.post(_url(participant), {
        "conducted_on": date.today().isoformat(), "rating__healing": "4",
        "rating__purpose": "4", "rating__inner_peace": "4", "rating__self_capacity": "4",
        "save": "1",
    })
    assert Assessment.objects.count() == 1
    assert not AssessmentDraft.objects.exists()


def test_stopping_for_distress_keeps_answers_and_notes_a_referral_need(
    login, org_a, make_participant
):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    page = client.post(_url(participant), {"rating__healing": "2", "distress": "1"})
    assert page.status_code == 200
    assert "The interview has stopped" in page.content.decode()
    draft = AssessmentDraft.objects.get()
    assert draft.stopped_for_distress and draft.data["rating__healing"] == ["2"]
    referral = Referral.objects.get()
    assert referral.kind == "psychosocial" and referral.status == "needed"
    assert referral.reason == "distress_during_interview"
    assert not Assessment.objects.exists()
    detail = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert "stopped: participant distressed" in detail


def test_another_organisation_cannot_resume_a_draft(login, org_a, org_b, make_participant):
    participant = make_participant(org_a)
    login(org_a, "interviewer").post(_url(participant), {"note__family": "private", "pause": "1"})
    draft = AssessmentDraft.objects.get()
    response = login(org_b, "interviewer").get(_url(participant) + f"?draft={draft.pk}")
    assert response.status_code == 404
