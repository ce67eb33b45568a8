"""The draft that quick exit sends as it leaves: kept like a pause, never an assessment."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from empower.web.assessments.models import Assessment, AssessmentDraft


def _form(participant):
    return reverse("assessment_new", args=[participant.code, "empowerment-interview", "2.0"])


def _endpoint(participant, draft=None):
    url = reverse("assessment_draft", args=[participant.code, "empowerment-interview", "2.0"])
    return f"{url}?draft={draft.pk}" if draft is not None else url


def test_the_open_step_is_kept_encrypted_and_answered_with_no_content(
    login, org_a, make_participant
):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    response = client.post(_endpoint(participant), {
        "step": "2", "interview_language": "bn", "note__family": "Typed before leaving 4417",
        "effect__family__healing": "1",
    })
    assert response.status_code == 204 and response.content == b""
    draft = AssessmentDraft.objects.get()
    assert draft.participant == participant and draft.step == 2 and draft.language == "bn"
    assert draft.data == {"note__family": ["Typed before leaving 4417"],
                          "effect__family__healing": ["1"]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM assessments_assessmentdraft")
        assert "4417" not in cursor.fetchone()[0]
    page = login(org_a, "interviewer", username="other-worker").get(
        _form(participant) + f"?draft={draft.pk}"
    ).content.decode()
    assert "Step 2 of 11" in page and "Typed before leaving 4417" in page


def test_it_adds_to_the_draft_of_the_interview_in_progress(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    client.post(_form(participant), {
        "step": "1", "next": "1", "conducted_on": date.today().isoformat(),
        "rating__healing": "3", "rating__purpose": "3", "rating__inner_peace": "3",
        "rating__self_capacity": "3",
    })
    draft = AssessmentDraft.objects.get()
    response = client.post(_endpoint(participant, draft), {"step": "2", "note__family": "More"})
    assert response.status_code == 204
    draft.refresh_from_db()
    assert AssessmentDraft.objects.count() == 1
    assert draft.data["rating__healing"] == ["3"] and draft.data["note__family"] == ["More"]
    assert draft.step == 2


def test_it_never_saves_an_assessment(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    response = client.post(_endpoint(participant), {
        "step": "1", "save": "1", "conducted_on": date.today().isoformat(),
        "rating__healing": "3", "rating__purpose": "3", "rating__inner_peace": "3",
        "rating__self_capacity": "3",
    })
    assert response.status_code == 204
    assert not Assessment.objects.exists()
    assert AssessmentDraft.objects.get().data["rating__healing"] == ["3"]


def test_another_organisations_participant_is_not_found(login, org_a, org_b, make_participant):
    participant = make_participant(org_b)
    response = login(org_a, "interviewer").post(_endpoint(participant),
                                                {"step": "2", "note__family": "x"})
    assert response.status_code == 404
    assert not AssessmentDraft.objects.exists()


def test_another_organisations_draft_is_not_touched(login, org_a, org_b, make_participant):
    theirs = make_participant(org_b)
    login(org_b, "interviewer").post(_endpoint(theirs), {"step": "2", "note__family": "theirs"})
    draft = AssessmentDraft.objects.get()
    mine = make_participant(org_a)
    client = login(org_a, "interviewer")
    # Their draft's number with my participant: a new draft of mine, theirs unchanged.
    assert client.post(_endpoint(mine, draft), {"step": "2", "note__family": "mine"}
                       ).status_code == 204
    draft.refresh_from_db()
    assert draft.data["note__family"] == ["theirs"] and draft.participant == theirs
    assert AssessmentDraft.objects.get(participant=mine).data["note__family"] == ["mine"]


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_roles_that_cannot_record_are_refused(role, login, org_a, make_participant):
    participant = make_participant(org_a)
    response = login(org_a, role).post(_endpoint(participant), {"step": "2", "note__family": "x"})
    assert response.status_code == 403
    assert not AssessmentDraft.objects.exists()


def test_an_administrator_may_keep_a_draft(login, org_a, make_participant):
    participant = make_participant(org_a)
    response = login(org_a, "admin").post(_endpoint(participant), {"step": "2",
                                                                   "note__family": "x"})
    assert response.status_code == 204


def test_only_a_post_of_a_known_step_is_kept(login, org_a, make_participant, client):
    participant = make_participant(org_a)
    anonymous = client.post(_endpoint(participant), {"step": "2", "note__family": "x"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    worker = login(org_a, "interviewer")
    assert worker.get(_endpoint(participant)).status_code == 405
    assert worker.post(_endpoint(participant), {"note__family": "x"}).status_code == 400
    assert worker.post(_endpoint(participant), {"step": "99"}).status_code == 400
    assert not AssessmentDraft.objects.exists()


def test_the_interview_form_tells_quick_exit_where_to_send_the_draft(
    login, org_a, make_participant
):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    page = client.get(_form(participant)).content.decode()
    assert f'data-draft-url="{_endpoint(participant)}"' in page
    client.post(_endpoint(participant), {"step": "1", "rating__healing": "3"})
    draft = AssessmentDraft.objects.get()
    page = client.get(_form(participant) + f"?draft={draft.pk}").content.decode()
    assert f'data-draft-url="{_endpoint(participant, draft)}"' in page.replace("&amp;", "&")
