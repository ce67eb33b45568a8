"""A user of one organisation can neither see nor touch another organisation's people."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from empower.instruments import get_instrument
from empower.web.assessments.recording import record_assessment

RATINGS = {f"rating__{axis}": 5 for axis in ("healing", "purpose", "inner_peace", "self_capacity")}


@pytest.fixture
def foreign(org_a, org_b, make_participant):
    """A participant of organisation B, with one assessment."""
    participant = make_participant(org_b)
    instrument = get_instrument("empowerment-interview", "2.0")
    assessment = record_assessment(
        participant=participant, instrument=instrument, conducted_on=date.today(),
        language="en", interviewer=None, answers=RATINGS,
    )
    return participant, assessment


def _urls(participant, assessment):
    code = participant.code
    consent = participant.consents.first()
    return [
        ("get", reverse("participant_detail", args=[code])),
        ("get", reverse("participant_edit", args=[code])),
        ("get", reverse("consent_create", args=[code])),
        ("post", reverse("consent_withdraw", args=[code, consent.pk])),
        ("get", reverse("assessment_new", args=[code, "empowerment-interview", "2.0"])),
        ("get", reverse("assessment_detail", args=[code, assessment.pk])),
    ]


@pytest.mark.parametrize("role", ["admin", "interviewer", "analyst"])
def test_other_organisations_participant_is_not_found(login, org_a, foreign, role):
    client = login(org_a, role)
    participant, assessment = foreign
    for method, url in _urls(participant, assessment):
        response = getattr(client, method)(url)
        # 404 for roles that may read people at all, 403 for pages the role may never use;
        # never 200 and never a redirect into the record.
        assert response.status_code in (403, 404), (role, url, response.status_code)


def test_admin_of_other_organisation_gets_404_not_403(login, org_a, foreign):
    """404 does not even confirm that the code exists elsewhere."""
    client = login(org_a, "admin")
    participant, assessment = foreign
    for method, url in _urls(participant, assessment):
        assert getattr(client, method)(url).status_code == 404, url


def test_withdrawal_attempt_across_organisations_changes_nothing(login, org_a, foreign):
    client = login(org_a, "admin")
    participant, _assessment = foreign
    consent = participant.consents.get()
    client.post(reverse("consent_withdraw", args=[participant.code, consent.pk]))
    assert not consent.decisions.filter(withdrawn_at__isnull=False).exists()


def test_participant_list_shows_only_own_organisation(login, org_a, org_b, make_participant):
    mine = make_participant(org_a)
    theirs = make_participant(org_b)
    response = login(org_a, "analyst").get(reverse("participant_list"))
    assert mine.code in response.content.decode()
    assert theirs.code not in response.content.decode()


def test_search_does_not_reach_other_organisations(login, org_a, org_b, make_participant):
    theirs = make_participant(org_b)
    response = login(org_a, "analyst").get(reverse("participant_list"), {"q": theirs.code})
    assert response.context["total"] == 0
    assert reverse("participant_detail", args=[theirs.code]) not in response.content.decode()


def test_cohort_report_counts_only_own_organisation(login, org_a, org_b, make_participant):
    for org, n in ((org_a, 2), (org_b, 3)):
        for _ in range(n):
            p = make_participant(org)
            record_assessment(
                participant=p, instrument=get_instrument("empowerment-interview", "2.0"),
                conducted_on=date.today(), language="en", interviewer=None,
                answers=RATINGS,
            )
    from empower.web.assessments.cohort import cohort_report

    assert cohort_report(org_a)["sample"]["n"] == 2
    assert cohort_report(org_b)["sample"]["n"] == 3
