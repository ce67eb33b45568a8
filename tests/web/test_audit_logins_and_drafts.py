"""Two gaps in what the trail recorded: the notes shown when a paused interview is resumed,
and a password step taken for a whole login."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from empower.web.assessments.models import AssessmentDraft
from empower.web.audit.log import verify_chain
from empower.web.audit.models import AuditEntry

from .test_twofactor import PASSWORD, _code, _password_step

INSTRUMENT = ("empowerment-interview", "2.0")


def _interview(participant) -> str:
    return reverse("assessment_new", args=[participant.code, *INSTRUMENT])


def _draft(participant, note: str, step: int = 2) -> AssessmentDraft:
    # Step 2 of the interview is the "family" factor, whose note is note__family.
    return AssessmentDraft.objects.create(
        participant=participant, instrument_id=INSTRUMENT[0], instrument_version=INSTRUMENT[1],
        data={"rating__healing": ["3"], "note__family": [note]}, step=step,
    )


def _narrative_reads():
    return list(AuditEntry.objects.filter(action="person.view_narrative").order_by("sequence"))


# --- resuming a paused interview ---------------------------------------------------------


def test_resuming_a_draft_that_shows_notes_is_recorded(login, org_a, make_participant, client):
    login(org_a, "interviewer")
    participant = make_participant(org_a)
    draft = _draft(participant, "My aunt helped me 5521")

    response = client.get(_interview(participant) + f"?draft={draft.pk}")
    assert response.status_code == 200
    assert "My aunt helped me 5521" in response.content.decode()

    [entry] = _narrative_reads()
    assert entry.actor_username == "org-a-interviewer" and entry.organisation == org_a
    assert (entry.target_type, entry.target_id) == ("participant", participant.code)
    assert entry.detail == {"draft": draft.pk, "step": 2}
    assert "5521" not in str(entry.detail)
    assert verify_chain().ok


def test_each_look_at_a_step_with_notes_is_recorded(login, org_a, make_participant, client):
    login(org_a, "interviewer")
    participant = make_participant(org_a)
    draft = _draft(participant, "kept words", step=1)
    client.get(_interview(participant) + f"?draft={draft.pk}&step=2")
    client.get(_interview(participant) + f"?draft={draft.pk}&step=2")
    assert [e.detail["step"] for e in _narrative_reads()] == [2, 2]


@pytest.mark.parametrize("query", ["&step=1", "&step=3"])
def test_a_step_without_notes_records_no_read(login, org_a, make_participant, client, query):
    login(org_a, "interviewer")
    participant = make_participant(org_a)
    draft = _draft(participant, "kept words")
    assert client.get(_interview(participant) + f"?draft={draft.pk}{query}").status_code == 200
    assert _narrative_reads() == []


def test_an_empty_note_records_no_read(login, org_a, make_participant, client):
    login(org_a, "interviewer")
    participant = make_participant(org_a)
    draft = _draft(participant, "   ")
    client.get(_interview(participant) + f"?draft={draft.pk}")
    assert _narrative_reads() == []


def test_a_new_interview_records_no_read(login, org_a, make_participant, client):
    login(org_a, "interviewer")
    participant = make_participant(org_a)
    client.get(_interview(participant) + "?step=2")
    assert _narrative_reads() == []


# --- logging in --------------------------------------------------------------------------


def _actions(username: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(actor_username=username).order_by("sequence")
        .values_list("action", flat=True)
    )


def test_a_password_alone_is_not_a_login_for_someone_with_two_step(client, org_a, make_member):
    admin = make_member(org_a, "admin", username="boss")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    _password_step(client, "boss")
    assert _actions("boss") == ["login.password_ok"]
    client.post(reverse("login_code"), {"code": _code(device)})
    assert _actions("boss") == ["login.password_ok", "login.success"]
    assert AuditEntry.objects.get(action="login.success").detail == {"step": "code"}


def test_an_administrator_who_never_gives_the_code_is_not_logged_in(client, org_a, make_member):
    make_member(org_a, "admin", username="boss")
    _password_step(client, "boss")
    client.get(reverse("home"))  # sent to set up two-step login, and gives up there
    assert "login.success" not in _actions("boss")
    assert _actions("boss") == ["login.password_ok"]


def test_an_administrator_setting_up_two_step_at_first_login_is_logged_in_then(
    client, org_a, make_member
):
    admin = make_member(org_a, "admin", username="boss")
    _password_step(client, "boss")
    client.get(reverse("two_step"))
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    response = client.post(reverse("two_step"), {"code": _code(device)})
    assert response.status_code == 302
    assert _actions("boss") == ["login.password_ok", "login.success"]
    assert AuditEntry.objects.get(action="login.success").detail == {"step": "setup"}


def test_turning_two_step_on_later_is_not_a_second_login(client, org_a, make_member):
    worker = make_member(org_a, "interviewer", username="worker")
    client.post(reverse("login"), {"username": "worker", "password": PASSWORD})
    assert _actions("worker") == ["login.success"]
    client.get(reverse("two_step"))
    device = TOTPDevice.objects.get(user=worker, confirmed=False)
    client.post(reverse("two_step"), {"code": _code(device)})
    assert _actions("worker") == ["login.success"]


def test_without_two_step_the_password_is_the_whole_login(client, org_a, make_member):
    make_member(org_a, "analyst", username="ana")
    client.post(reverse("login"), {"username": "ana", "password": PASSWORD})
    assert _actions("ana") == ["login.success"]
