"""The services block of an interview in the assessment endpoints: checked against hand-written
expected output, and only the instrument's options leave — never a typed word."""

from __future__ import annotations

from datetime import date

import pytest

from empower.instruments import get_instrument
from empower.web.assessments.models import Assessment
from empower.web.assessments.recording import record_assessment

from .conftest import ladder

#: Two services as the interview form stores them (``ServiceForm.to_record``).
SHELTER = {
    "service_type": "shelter", "provider_type": "ngo_cso", "respected_wishes": True,
    "conditions": [], "effects": {"healing": 2, "purpose": 1, "inner_peace": 0,
                                  "self_capacity": None},
}
RESCUE = {
    "service_type": "rescue", "provider_type": "police", "respected_wishes": None,
    "conditions": ["repeated_storytelling", "photos_without_consent"],
    "effects": {"healing": -2, "purpose": "not_applicable", "inner_peace": "prefer_not_to_say",
                "self_capacity": -1},
}


def consenting(organisation, make_participant, consent_factory):
    """A participant whose consent (given years ago) covers the 2025 interviews."""
    participant = make_participant(organisation, consent=False)
    consent_factory(participant, "interview", "own_reporting", days_ago=2000)
    return participant


@pytest.fixture
def person(org_a, make_participant, consent_factory):
    return consenting(org_a, make_participant, consent_factory)


@pytest.fixture
def interview(person):
    return record_assessment(
        participant=person, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date(2025, 3, 4), language="en", interviewer=None,
        answers=ladder(4, 7, 10, 1), services=[SHELTER, RESCUE],
    )


@pytest.fixture
def scales(person):
    return record_assessment(
        participant=person, instrument=get_instrument("empowerment-scales", "1.0"),
        conducted_on=date(2025, 5, 6), language="en", interviewer=None,
        answers={"sc1": 4, "ip1": 2},
    )


def test_an_interview_returns_its_services(org_a, key_client, interview):
    response = key_client(org_a, "analyst").get(f"/api/assessments/{interview.pk}/")
    assert response.status_code == 200
    assert response.json()["services"] == [
        {"service_type": "shelter", "provider_type": "ngo_cso", "respected_wishes": True,
         "conditions": [],
         "effects": {"healing": 2, "purpose": 1, "inner_peace": 0, "self_capacity": None}},
        {"service_type": "rescue", "provider_type": "police", "respected_wishes": None,
         "conditions": ["repeated_storytelling", "photos_without_consent"],
         "effects": {"healing": -2, "purpose": "not_applicable",
                     "inner_peace": "prefer_not_to_say", "self_capacity": -1}},
    ]


def test_the_list_returns_services_and_an_empty_list_for_the_scales(
    org_a, key_client, interview, scales
):
    response = key_client(org_a, "interviewer").get("/api/assessments/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["id"], row["instrument_id"]) for row in rows] == [
        (interview.pk, "empowerment-interview"), (scales.pk, "empowerment-scales"),
    ]
    assert [service["service_type"] for service in rows[0]["services"]] == ["shelter", "rescue"]
    assert rows[1]["services"] == []
    assert rows[1]["answers"] == {"sc1": 4, "ip1": 2}


def test_junk_stored_among_the_services_is_dropped(org_a, key_client, interview, scales):
    # As if an import or a hand edit of the database had put words where options belong.
    Assessment.objects.filter(pk=interview.pk).update(services=[
        {
            "service_type": "shelter run by Mr Khan 4242",
            "provider_type": "government",
            "respected_wishes": "yes, she said 4242",
            "conditions": ["pressure_to_participate", "her uncle's debts 4242", 1, None],
            "effects": {"healing": 2, "purpose": "much better 4242", "family 4242": 1,
                        "inner_peace": True, "self_capacity": 3},
            "note": "lives behind the market 4242",
        },
        "a service described in her own words 4242",
        {"service_type": "legal_aid", "provider_type": 7, "respected_wishes": False,
         "conditions": "none 4242", "effects": ["4242"]},
    ])
    Assessment.objects.filter(pk=scales.pk).update(services=[SHELTER, {"note": "x 4242"}])
    client = key_client(org_a, "analyst")
    response = client.get(f"/api/assessments/{interview.pk}/")
    assert response.status_code == 200
    assert "4242" not in response.content.decode()
    assert response.json()["services"] == [
        {"service_type": None, "provider_type": "government", "respected_wishes": None,
         "conditions": ["pressure_to_participate"], "effects": {"healing": 2}},
        {"service_type": "legal_aid", "provider_type": None, "respected_wishes": False,
         "conditions": None, "effects": {}},
    ]
    # The scales instrument has no services block: nothing stored there leaves.
    scales_response = client.get(f"/api/assessments/{scales.pk}/")
    assert scales_response.json()["services"] == []
    listed = client.get("/api/assessments/")
    assert "4242" not in listed.content.decode()


def test_services_of_another_organisation_never_appear(org_a, org_b, key_client,
                                                       make_participant, consent_factory,
                                                       interview):
    theirs = consenting(org_b, make_participant, consent_factory)
    record_assessment(
        participant=theirs, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date(2025, 3, 5), language="en", interviewer=None,
        answers=ladder(1, 1, 1, 1), services=[RESCUE],
    )
    client = key_client(org_b, "analyst")
    assert client.get(f"/api/assessments/{interview.pk}/").status_code == 404
    rows = client.get("/api/assessments/").json()["results"]
    assert [row["participant"] for row in rows] == [theirs.code]
    assert [service["service_type"] for service in rows[0]["services"]] == ["rescue"]


def test_viewers_do_not_read_services(org_a, key_client, interview):
    client = key_client(org_a, "viewer")
    assert client.get(f"/api/assessments/{interview.pk}/").status_code == 403
    assert client.get("/api/assessments/").status_code == 403
