"""Withdrawing consent: a page that says what will stop, and only its confirmation withdraws."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from empower.web.audit.models import AuditEntry
from empower.web.exports.datasets import AGGREGATE_AUDIENCES, ROW_LEVEL_AUDIENCE
from empower.web.people.models import ConsentDecision, Referral, ReferralStatus

RESEARCH_WORDING = "My answers may be used in research 5150."


@pytest.fixture
def person(org_a, make_participant, consent_factory):
    """Interview, own reporting, research and a referral to a legal aid clinic, all in one
    consent; two referrals not yet made and one made."""
    participant = make_participant(org_a, consent=False)
    consent = consent_factory(participant, "interview", "own_reporting")
    ConsentDecision.objects.create(consent=consent, purpose="research", agreed=True,
                                   wording=RESEARCH_WORDING)
    ConsentDecision.objects.create(consent=consent, purpose="referral", agreed=True,
                                   provider="Legal aid clinic", wording="referral wording")
    Referral.objects.create(participant=participant, kind="legal", provider="Legal aid clinic")
    Referral.objects.create(participant=participant, kind="psychosocial",
                            provider="Counselling centre")
    Referral.objects.create(participant=participant, kind="shelter", provider="Shelter house",
                            status=ReferralStatus.MADE)
    return participant, consent


def _url(participant, consent):
    return reverse("consent_withdraw", args=[participant.code, consent.pk])


def _text(response) -> str:
    """The page's visible text, tags removed and entities decoded, spaces collapsed."""
    body = response.content.decode()
    body = body[body.index("<main"):] if "<main" in body else body
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def _withdrawn(participant) -> set[str]:
    return set(ConsentDecision.objects.filter(consent__participant=participant,
                                              withdrawn_at__isnull=False)
               .values_list("purpose", flat=True))


def _nothing_changed(participant) -> None:
    assert _withdrawn(participant) == set()
    assert not participant.referrals.filter(status=ReferralStatus.CANCELLED).exists()
    assert not AuditEntry.objects.filter(action="consent.withdrawn").exists()


def test_the_page_for_research_names_research_files_only(login, org_a, person):
    participant, consent = person
    client = login(org_a, "interviewer")
    response = client.get(_url(participant, consent) + "?purpose=research")
    assert response.status_code == 200
    text = _text(response)
    withdrawn = _section(text, "What will be withdrawn", "What continues")
    assert "Use in research" in withdrawn
    assert RESEARCH_WORDING in withdrawn
    assert "Export files with one row per person for researchers" in withdrawn
    assert "Totals used in research" in withdrawn
    for other in ("cohort report", "API key", "own staff", "network or a funder",
                  "New interviews"):
        assert other not in withdrawn
    # research does not touch referrals: a referral consent stays, nothing is cancelled
    assert "will be cancelled" not in text
    continues = _section(text, "What continues", "Withdraw now")
    for label in ("Taking part in the interview", "Use in the organisation's own reporting",
                  "Referral to a named provider – Legal aid clinic"):
        assert label in continues
    assert "Use in research" not in continues
    _nothing_changed(participant)


def test_the_page_for_own_reporting_names_the_cohort_report_its_files_and_the_api(
    login, org_a, person
):
    participant, consent = person
    client = login(org_a, "interviewer")
    text = _text(client.get(_url(participant, consent) + "?purpose=own_reporting"))
    withdrawn = _section(text, "What will be withdrawn", "What continues")
    assert "Use in the organisation's own reporting" in withdrawn
    assert "The cohort report" in withdrawn
    assert "Export files with one row per person for the organisation's own staff" in withdrawn
    assert "Totals in the organisation's own reports" in withdrawn
    assert "API key" in withdrawn
    assert "researchers" not in withdrawn
    _nothing_changed(participant)


def test_the_page_for_referral_lists_each_referral_it_will_cancel(login, org_a, person):
    participant, consent = person
    client = login(org_a, "interviewer")
    text = _text(client.get(_url(participant, consent) + "?purpose=referral"))
    cancelled = _section(text, "Referrals that will be cancelled", "What continues")
    assert "these 2 referrals" in cancelled
    assert "Legal information or aid – Legal aid clinic" in cancelled
    assert "Psychosocial support or counselling – Counselling centre" in cancelled
    assert "Shelter house" not in cancelled  # already made: history, not cancelled
    _nothing_changed(participant)


def test_the_page_for_everything_lists_every_purpose_and_says_nothing_is_left(
    login, org_a, person
):
    participant, consent = person
    client = login(org_a, "interviewer")
    text = _text(client.get(_url(participant, consent)))
    withdrawn = _section(text, "What will be withdrawn", "Referrals that will be cancelled")
    for label in ("Taking part in the interview", "Use in the organisation's own reporting",
                  "Use in research", "Referral to a named provider – Legal aid clinic"):
        assert label in withdrawn
    assert "New interviews" in withdrawn and "The cohort report" in withdrawn
    assert "Counselling centre" in text
    assert "no consent of the participant is in force" in _section(text, "What continues",
                                                                    "Withdraw now")
    _nothing_changed(participant)


def test_a_purpose_still_agreed_in_another_consent_is_said_not_to_stop(
    login, org_a, make_participant, consent_factory
):
    participant = make_participant(org_a, consent=False)
    older = consent_factory(participant, "interview", "research", days_ago=20)
    consent_factory(participant, "research", days_ago=3)
    client = login(org_a, "interviewer")
    text = _text(client.get(_url(participant, older) + "?purpose=research"))
    assert "This use does not stop" in text
    assert "From now on the participant is left out of" not in text
    client.post(_url(participant, older), {"purpose": "research", "confirm": "yes"})
    message = _text(client.get(reverse("participant_detail", args=[participant.code])))
    assert "another consent the participant gave still covers it" in message
    assert "This use has stopped" not in message
    assert participant.consent_for("research") is not None


def test_opening_the_page_never_withdraws(login, org_a, person):
    participant, consent = person
    client = login(org_a, "interviewer")
    for query in ("", "?purpose=research", "?purpose=referral", "?purpose=interview"):
        assert client.get(_url(participant, consent) + query).status_code == 200
    _nothing_changed(participant)


def test_a_post_without_the_confirmation_only_shows_the_page(login, org_a, person):
    """What a participant page opened before this change still sends: one tap, no confirm."""
    participant, consent = person
    client = login(org_a, "interviewer")
    response = client.post(_url(participant, consent), {"purpose": "research"})
    assert response.status_code == 200
    assert "Withdraw now" in _text(response)
    _nothing_changed(participant)


def test_confirming_withdraws_exactly_the_chosen_purpose_and_is_audited(
    login, org_a, person
):
    participant, consent = person
    client = login(org_a, "interviewer")
    response = client.post(_url(participant, consent), {"purpose": "research", "confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("participant_detail", args=[participant.code])
    assert _withdrawn(participant) == {"research"}
    assert participant.consent_for("research") is None
    for purpose in ("interview", "own_reporting", "referral"):
        assert participant.consent_for(purpose) is not None
    # the referral consent stands, so no referral is cancelled
    assert not participant.referrals.filter(status=ReferralStatus.CANCELLED).exists()
    entries = AuditEntry.objects.filter(action="consent.withdrawn", target_id=participant.code)
    assert [e.detail for e in entries] == [{"purpose": "research", "consent": consent.pk}]
    assert entries.get().actor is not None


def test_confirming_two_purposes_withdraws_those_two(login, org_a, person):
    participant, consent = person
    client = login(org_a, "interviewer")
    client.post(_url(participant, consent),
                {"purpose": ["research", "own_reporting"], "confirm": "yes"})
    assert _withdrawn(participant) == {"research", "own_reporting"}


def test_confirming_everything_cancels_the_referrals_not_yet_made(login, org_a, person):
    participant, consent = person
    client = login(org_a, "interviewer")
    client.post(_url(participant, consent), {"confirm": "yes"})
    assert _withdrawn(participant) == {"interview", "own_reporting", "research", "referral"}
    statuses = dict(participant.referrals.values_list("provider", "status"))
    assert statuses == {"Legal aid clinic": ReferralStatus.CANCELLED,
                        "Counselling centre": ReferralStatus.CANCELLED,
                        "Shelter house": ReferralStatus.MADE}
    message = _text(client.get(reverse("participant_detail", args=[participant.code])))
    assert "No consent of this participant is in force any more" in message
    assert "2 referrals not yet made were cancelled" in message


def test_the_message_after_withdrawing_one_of_two_purposes_names_the_other(
    login, org_a, make_participant
):
    participant = make_participant(org_a, purposes=("own_reporting", "research"))
    consent = participant.consents.get()
    client = login(org_a, "interviewer")
    response = client.post(_url(participant, consent), {"purpose": "research", "confirm": "yes"},
                           follow=True)
    text = _text(response)
    assert "This use has stopped: Use in research." in text
    assert ("The other use the participant agreed to continues: "
            "Use in the organisation's own reporting.") in text
    assert "no longer covers any use" not in text
    assert "in force any more" not in text
    assert "record consent again" in text  # the way back


def test_a_purpose_not_agreed_or_already_withdrawn_changes_nothing(login, org_a, person):
    participant, consent = person
    client = login(org_a, "interviewer")
    detail = reverse("participant_detail", args=[participant.code])
    for purpose in ("story", "sharing", "no-such-purpose"):
        response = client.post(_url(participant, consent), {"purpose": purpose, "confirm": "yes"})
        assert response["Location"] == detail
    _nothing_changed(participant)
    client.post(_url(participant, consent), {"purpose": "research", "confirm": "yes"})
    again = client.get(_url(participant, consent) + "?purpose=research", follow=True)
    assert "Nothing was withdrawn" in _text(again)
    assert AuditEntry.objects.filter(action="consent.withdrawn").count() == 1


@pytest.mark.parametrize("role", ["admin", "interviewer"])
def test_another_organisations_participant_is_not_found(role, login, org_a, org_b, person,
                                                        make_participant):
    theirs = make_participant(org_b, purposes=("interview", "research"))
    consent = theirs.consents.get()
    client = login(org_a, role)
    assert client.get(_url(theirs, consent) + "?purpose=research").status_code == 404
    assert client.post(_url(theirs, consent),
                       {"purpose": "research", "confirm": "yes"}).status_code == 404
    # a consent of one's own organisation under another participant's code: not found either
    own_participant, own_consent = person
    assert client.get(_url(theirs, own_consent)).status_code == 404
    assert _withdrawn(theirs) == set() and _withdrawn(own_participant) == set()


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_roles_that_may_not_withdraw_are_refused(role, login, org_a, person):
    participant, consent = person
    client = login(org_a, role)
    assert client.get(_url(participant, consent) + "?purpose=research").status_code == 403
    assert client.post(_url(participant, consent),
                       {"purpose": "research", "confirm": "yes"}).status_code == 403
    _nothing_changed(participant)


def test_the_participant_page_links_to_the_confirmation_instead_of_withdrawing(
    login, org_a, person
):
    participant, consent = person
    client = login(org_a, "interviewer")
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert f'href="{_url(participant, consent)}?purpose=research"' in page
    assert f'href="{_url(participant, consent)}"' in page
    assert f'action="{_url(participant, consent)}"' not in page


def test_every_export_purpose_has_its_files_named():
    """A purpose added to the exports must say which files it feeds before anyone can
    withdraw it."""
    from empower.web.people.withdrawal import RECORD_FILES, TOTALS_FILES

    assert set(ROW_LEVEL_AUDIENCE) <= set(RECORD_FILES)
    assert set(AGGREGATE_AUDIENCES) <= set(TOTALS_FILES)
