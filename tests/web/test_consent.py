"""Consent that holds: per purpose, exact wording kept, receipts, withdrawal, erasure."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from empower.instruments import get_instrument
from empower.web.assessments.cohort import cohort_report
from empower.web.assessments.recording import record_assessment
from empower.web.audit.models import AuditEntry
from empower.web.people.consent_texts import purpose_text
from empower.web.people.models import (
    ConsentDecision,
    Participant,
    Referral,
    ReferralStatus,
)

RATINGS = {f"rating__{a}": 6 for a in ("healing", "purpose", "inner_peace", "self_capacity")}


def _consent_post(**answers):
    data = {
        "given_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "how_given": "written", "given_by": "participant",
    }
    data.update({f"answer_{k}": v for k, v in answers.items()})
    return data


def test_each_purpose_is_recorded_with_the_exact_wording_in_its_language(
    login, org_a, make_participant
):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    url = reverse("consent_create", args=[participant.code]) + "?lang=my"
    response = client.post(url, _consent_post(interview="yes", research="no"))
    assert response.status_code == 302
    decisions = {d.purpose: d for d in ConsentDecision.objects.all()}
    assert set(decisions) == {"interview", "research"}  # purposes not asked are not recorded
    assert decisions["interview"].agreed and not decisions["research"].agreed
    assert decisions["interview"].wording == purpose_text("interview", "my")
    assert "အင်တာဗျူး" in decisions["interview"].wording
    assert decisions["interview"].consent.language == "my"
    assert decisions["interview"].consent.wording_version == "2026-1"


def test_receipt_is_in_the_participants_language(login, org_a, make_participant):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    url = reverse("consent_create", args=[participant.code]) + "?lang=bn"
    response = client.post(url, _consent_post(interview="yes", sharing="no"))
    receipt = client.get(response["Location"]).content.decode()
    assert "আপনার সম্মতি" in receipt               # "Your consent"
    assert "আপনি যাতে রাজি হয়েছেন" in receipt      # "You agreed to"
    assert "আপনি যাতে রাজি হননি" in receipt        # "You did not agree to"
    assert escape(purpose_text("interview", "bn")) in receipt
    assert participant.code in receipt


def test_referral_needs_a_named_provider_and_story_needs_an_end_date(
    login, org_a, make_participant
):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    url = reverse("consent_create", args=[participant.code])
    page = client.post(url, _consent_post(referral="yes", story="yes")).content.decode()
    assert "Name the provider" in page
    assert "Agree an end date" in page
    assert not ConsentDecision.objects.exists()


def test_spoken_consent_needs_a_witness(login, org_a, make_participant):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    data = _consent_post(interview="yes")
    data["how_given"] = "verbal_witnessed"
    page = client.post(reverse("consent_create", args=[participant.code]), data)
    assert "needs a witness" in page.content.decode()


def test_story_consent_lapses_on_its_end_date(org_a, make_participant, consent_factory):
    participant = make_participant(org_a, consent=False)
    consent = consent_factory(participant, "story")
    consent.decisions.update(expires_on=date.today() - timedelta(days=1))
    assert participant.consent_for("story") is None
    consent.decisions.update(expires_on=date.today())
    assert participant.consent_for("story") is not None


def test_withdrawal_takes_effect_at_once_in_reports(login, org_a, make_participant):
    people = [make_participant(org_a) for _ in range(3)]
    for p in people:
        record_assessment(
            participant=p, instrument=get_instrument("empowerment-interview", "2.0"),
            conducted_on=date.today(), language="en", interviewer=None, answers=RATINGS,
        )
    assert cohort_report(org_a)["sample"]["n"] == 3
    client = login(org_a, "interviewer")
    consent = people[0].consents.get()
    client.post(reverse("consent_withdraw", args=[people[0].code, consent.pk]),
                {"purpose": "own_reporting", "confirm": "yes"})
    assert cohort_report(org_a)["sample"]["n"] == 2
    # Withdrawing one purpose leaves the others in force.
    assert people[0].consent_for("interview") is not None
    assert AuditEntry.objects.filter(action="consent.withdrawn",
                                     target_id=people[0].code).exists()


def test_withdrawing_everything_stops_new_interviews(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    consent = participant.consents.get()
    client.post(reverse("consent_withdraw", args=[participant.code, consent.pk]),
                {"confirm": "yes"})
    assert participant.consent_for("interview") is None
    assert participant.consent_for("own_reporting") is None


def test_withdrawing_referral_consent_cancels_pending_referrals(
    login, org_a, make_participant
):
    participant = make_participant(org_a, purposes=("interview", "referral"))
    pending = Referral.objects.create(participant=participant, kind="psychosocial",
                                      provider="Counselling centre")
    made = Referral.objects.create(participant=participant, kind="legal",
                                   status=ReferralStatus.MADE)
    client = login(org_a, "interviewer")
    consent = participant.consents.get()
    client.post(reverse("consent_withdraw", args=[participant.code, consent.pk]),
                {"purpose": "referral", "confirm": "yes"})
    pending.refresh_from_db()
    made.refresh_from_db()
    assert pending.status == ReferralStatus.CANCELLED
    assert pending.closed_reason == "consent_withdrawn"
    assert made.status == ReferralStatus.MADE  # what already happened is history


def test_erasure_removes_everything_and_leaves_a_tombstone(login, org_a, make_participant):
    participant = make_participant(org_a, name="Aye Aye Mon 4471")
    record_assessment(
        participant=participant, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date.today(), language="en", interviewer=None, answers=RATINGS,
        narratives={"note__family": "Aye Aye's uncle 4471"},
    )
    code = participant.code
    client = login(org_a, "admin")
    wrong = client.post(reverse("participant_erase", args=[code]), {"confirm_code": "P-XXXXXX"})
    assert wrong.status_code == 200 and Participant.objects.filter(code=code).exists()
    client.post(reverse("participant_erase", args=[code]), {"confirm_code": code.lower()})
    assert not Participant.objects.filter(code=code).exists()
    assert not ConsentDecision.objects.exists()
    tombstone = AuditEntry.objects.get(action="person.erased")
    assert tombstone.target_id == code
    assert tombstone.detail["removed"]["assessments"] == 1
    everything = " ".join(str(e.detail) for e in AuditEntry.objects.all())
    assert "4471" not in everything and "Aye" not in everything


def test_only_admins_erase(login, org_a, make_participant):
    participant = make_participant(org_a)
    client = login(org_a, "interviewer")
    response = client.post(reverse("participant_erase", args=[participant.code]),
                           {"confirm_code": participant.code})
    assert response.status_code == 403
    assert Participant.objects.filter(pk=participant.pk).exists()


def test_contact_details_are_audited_and_hidden_from_analysts(login, org_a, make_participant):
    participant = make_participant(org_a, phone="+95 9 111 2233")
    analyst = login(org_a, "analyst")
    assert analyst.get(reverse("participant_contact", args=[participant.code])).status_code == 403
    detail = analyst.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert "111 2233" not in detail
    interviewer = login(org_a, "interviewer")
    page = interviewer.get(reverse("participant_contact", args=[participant.code]))
    assert "+95 9 111 2233" in page.content.decode()
    entry = AuditEntry.objects.get(action="person.view_identifying")
    assert entry.target_id == participant.code and entry.actor is not None


def test_a_later_no_ends_an_earlier_yes(org_a, make_participant, consent_factory):
    """Yes in one conversation, no to the same purpose in a later one: the latest word holds,
    even though nobody pressed "withdraw"."""
    person = make_participant(org_a, consent=False)
    consent_factory(person, "interview", "own_reporting", days_ago=30)
    in_force = ConsentDecision.objects.filter(consent__participant=person).in_force
    assert in_force("own_reporting").count() == 1

    consent_factory(person, "interview", days_ago=2, refused=("own_reporting",))
    assert in_force("own_reporting").count() == 0
    # the interview purpose was confirmed again, and both yeses stand
    assert in_force("interview").count() == 2
    # a week ago, before the refusal, the first yes was in force
    assert in_force("own_reporting", at=timezone.now() - timedelta(days=7)).count() == 1

    consent_factory(person, "own_reporting", days_ago=1)
    assert list(in_force("own_reporting").values_list("consent__given_at", flat=True)) == [
        person.consents.order_by("-given_at").first().given_at
    ]


def test_a_later_no_to_one_provider_leaves_a_referral_to_another(
    org_a, make_participant, consent_factory
):
    person = make_participant(org_a, consent=False)
    first = consent_factory(person, days_ago=10)
    ConsentDecision.objects.create(consent=first, purpose="referral", agreed=True,
                                   provider="Legal aid clinic", wording="w")
    later = consent_factory(person, days_ago=1)
    ConsentDecision.objects.create(consent=later, purpose="referral", agreed=False,
                                   provider="Shelter", wording="w")
    providers = ConsentDecision.objects.filter(consent__participant=person).in_force("referral")
    assert list(providers.values_list("provider", flat=True)) == ["Legal aid clinic"]


def test_a_consent_with_no_answer_is_refused_once_in_plain_words(login, org_a, make_participant):
    participant = make_participant(org_a, consent=False)
    client = login(org_a, "interviewer")
    response = client.post(reverse("consent_create", args=[participant.code]), _consent_post())
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(escape("Nothing was saved: record the participant's answer to at least "
                             "one question.")) == 1
    assert "record nothing" not in page
    assert not participant.consents.exists()


def test_the_participant_page_names_question_sets_not_their_ids(login, org_a, make_participant):
    participant = make_participant(org_a)
    record_assessment(
        participant=participant, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date.today(), language="en", interviewer=None, answers=RATINGS,
    )
    client = login(org_a, "interviewer")
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    table = page[page.index("<table"):page.index("</table>")]
    assert "Empowerment interview (version 2.0)" in table
    assert "empowerment-interview" not in table
    chart = page[page.index("<svg"):page.index("</svg>")]
    assert "Empowerment interview (version 2.0)" in chart  # the marker's legend
    assert "empowerment-interview" not in chart
    assert "wording 2026-1, read in English" in page
