"""What each endpoint returns, checked against hand-worked values, and what it never returns."""

from __future__ import annotations

from datetime import date

import pytest

from empower.instruments import get_instrument
from empower.web.assessments.models import Assessment

#: Ladder steps 4, 7, 10, 1 on a 1–10 ladder → 100·(x−1)/9 = 33.33…, 66.66…, 100, 0.
EXPECTED = {"healing": 100 * 3 / 9, "purpose": 100 * 6 / 9, "inner_peace": 100.0,
            "self_capacity": 0.0}


@pytest.fixture
def person(org_a, make_participant, consent_factory, assess):
    """Born 2001, interviewed on 1 June 2024 (aged 23), with a note in her own words."""
    participant = make_participant(
        org_a, consent=False, gender="female", year_of_birth=2001, status="returned",
        exploitation_types=["labour_trafficking"], region_of_origin="Sagaing 4242",
        destination_country="Thailand", name="Real Name 4242", phone="+95 4242",
        address="Village 4242",
    )
    consent_factory(participant, "interview", "own_reporting", days_ago=2000)
    assess(participant, on=date(2024, 6, 1), narratives={"note__family": "own words 4242"})
    return participant


def test_participants_are_pseudonymous_with_an_age_band(org_a, key_client, person):
    response = key_client(org_a, "analyst").get("/api/participants/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [{
        "code": person.code, "gender": "female", "age_band": "20-24",
        "exploitation_types": ["labour_trafficking"], "status": "returned", "assessments": 1,
    }]
    assert "4242" not in response.content.decode()  # name, phone, address, region
    assert "2001" not in response.content.decode()  # the year of birth itself


def test_participant_by_code(org_a, key_client, person):
    response = key_client(org_a, "interviewer").get(f"/api/participants/{person.code}/")
    assert response.status_code == 200
    assert response.json()["code"] == person.code
    assert response.json()["age_band"] == "20-24"


def test_assessment_has_answers_and_scores_but_never_free_text(org_a, key_client, person):
    assessment = person.assessments.get()
    interview = get_instrument("empowerment-interview", "2.0")
    text_item = next(item.id for item in interview.items if item.kind == "text")
    # Free text stored by mistake among the answers must not leave either.
    Assessment.objects.filter(pk=assessment.pk).update(
        answers={**assessment.answers, text_item: "typed words 4242", "unknown_item": "x 4242"}
    )
    response = key_client(org_a, "analyst").get(f"/api/assessments/{assessment.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert "4242" not in response.content.decode()
    assert body["participant"] == person.code
    assert (body["instrument_id"], body["instrument_version"]) == ("empowerment-interview",
                                                                   "2.0")
    assert body["conducted_on"] == "2024-06-01"
    assert body["language"] == "en"
    assert body["answers"] == {"rating__healing": 4, "rating__purpose": 7,
                               "rating__inner_peace": 10, "rating__self_capacity": 1}
    scores = {row["axis"]: row["score"] for row in body["scores"]}
    assert scores == pytest.approx(EXPECTED)


def test_scores_in_long_format_with_filters(org_a, key_client, make_participant, assess,
                                            person):
    other = make_participant(org_a)
    assess(other, (1, 1, 1, 10))
    client = key_client(org_a, "analyst")
    everything = client.get("/api/scores/").json()
    assert everything["count"] == 8  # two assessments × four axes
    healing = client.get("/api/scores/", {"axis": "healing"}).json()["results"]
    assert sorted((row["participant"], row["score"]) for row in healing) == sorted(
        [(person.code, pytest.approx(100 * 3 / 9)), (other.code, 0.0)]
    )
    mine = client.get("/api/scores/", {"participant": person.code}).json()["results"]
    assert {row["axis"]: row["score"] for row in mine} == pytest.approx(EXPECTED)
    assert set(mine[0]) == {"participant", "assessment", "conducted_on", "instrument_id",
                            "instrument_version", "axis", "score", "missing_reason", "source"}
    none = client.get("/api/scores/", {"instrument": "empowerment-scales"}).json()
    assert none["count"] == 0
    bad = client.get("/api/scores/", {"participant": "P-" + "X" * 30})
    assert bad.status_code == 400 and "participant" in bad.json()


def test_lists_are_paginated(org_a, key_client, make_participant):
    codes = sorted(make_participant(org_a).code for _ in range(3))
    client = key_client(org_a, "analyst")
    first = client.get("/api/participants/", {"page_size": 2}).json()
    assert first["count"] == 3
    assert [row["code"] for row in first["results"]] == codes[:2]
    assert first["next"].endswith("page=2&page_size=2")
    second = client.get("/api/participants/", {"page_size": 2, "page": 2}).json()
    assert [row["code"] for row in second["results"]] == codes[2:]
    assert client.get("/api/participants/", {"page": 9}).status_code == 404


def test_instruments(org_a, key_client):
    client = key_client(org_a, "viewer")
    listed = client.get("/api/instruments/").json()
    assert {(i["id"], i["version"]) for i in listed["results"]} == {
        ("empowerment-interview", "2.0"), ("empowerment-scales", "1.0"),
    }
    detail = client.get("/api/instruments/empowerment-interview/2.0/").json()
    interview = get_instrument("empowerment-interview", "2.0")
    assert [axis["id"] for axis in detail["axes"]] == [
        "healing", "purpose", "inner_peace", "self_capacity",
    ]
    assert len(detail["items"]) == len(interview.items)
    ladder = next(scale for scale in detail["scales"] if scale["id"] == "ladder")
    assert (ladder["minimum"], ladder["maximum"]) == (1, 10)
    assert detail["scoring"] == {"method": "ladder", "min_answered": 0.8}
    assert client.get("/api/instruments/empowerment-interview/9.9/").status_code == 404


def test_cohort_for_staff_in_full_and_for_viewers_suppressed(
    org_a, key_client, make_participant, assess
):
    # 6 women and 2 men: a group of 2 is below the threshold of 5.
    for gender in ["female"] * 6 + ["male"] * 2:
        assess(make_participant(org_a, gender=gender, year_of_birth=1995))
    staff = key_client(org_a, "analyst").get("/api/cohort/").json()
    viewer = key_client(org_a, "viewer").get("/api/cohort/").json()
    men = [row for row in staff["sample"]["breakdowns"]["gender"] if row["category"] == "male"]
    assert staff["sample"]["n"] == 8 and men[0]["count"] == 2
    assert staff["meta"]["disclosure"]["audience"] == "internal"
    assert viewer["meta"]["disclosure"] == {**viewer["meta"]["disclosure"],
                                            "audience": "viewer", "threshold": 5}
    shown = {row["category"]: row["count"] for row in viewer["sample"]["breakdowns"]["gender"]}
    assert shown["male"] is None
    # the 6 would give the 2 away by subtraction from n = 8, so it is withheld too
    assert shown["female"] is None
    assert all(row["minimum"] is None and row["maximum"] is None
               for row in viewer["axis_scores"])
