"""What the security review of the API fixed: parameters it does not know, caching, rate
limits, answers that are not on their scale, consent that ended, and error responses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from empower.web.assessments.models import Assessment
from empower.web.audit.models import AuditEntry
from empower.web.people.models import ConsentDecision

PEOPLE = ["/api/participants/", "/api/assessments/", "/api/scores/"]


@pytest.fixture
def two_orgs(org_a, org_b, make_participant, assess):
    mine = make_participant(org_a)
    theirs = make_participant(org_b)
    return {"mine": mine, "mine_assessment": assess(mine), "theirs": theirs,
            "theirs_assessment": assess(theirs)}


# --- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [*PEOPLE, "/api/cohort/", "/api/instruments/"])
def test_asking_for_another_organisation_is_a_400_not_a_quiet_answer(url, org_a, org_b,
                                                                     key_client, two_orgs):
    client = key_client(org_a, "analyst")
    for parameter in ("organisation", "organisation_id", "org"):
        response = client.get(url, {parameter: org_b.slug})
        assert response.status_code == 400, (url, parameter)
        assert parameter in response.json()
        assert "Unknown parameter" in response.json()[parameter][0]
        assert "results" not in response.json() and "sample" not in response.json()
    assert not AuditEntry.objects.filter(action="api.read").exists()


def test_a_mistyped_filter_is_a_400_naming_it(org_a, key_client, two_orgs):
    client = key_client(org_a, "analyst")
    response = client.get("/api/assessments/", {"particpant": two_orgs["mine"].code})
    assert response.status_code == 400
    message = response.json()["particpant"][0]
    assert "participant" in message and "page_size" in message  # says what it does take


def test_filters_by_another_organisations_ids_find_nothing(org_a, key_client, two_orgs):
    client = key_client(org_a, "analyst")
    theirs = two_orgs["theirs"].code
    for url in ("/api/assessments/", "/api/scores/"):
        body = client.get(url, {"participant": theirs}).json()
        assert body["count"] == 0 and body["results"] == []
    # Participants take no participant filter; the detail of theirs is 404.
    assert client.get("/api/participants/", {"participant": theirs}).status_code == 400
    assert client.get(f"/api/participants/{theirs}/").status_code == 404
    assert client.get(f"/api/assessments/{two_orgs['theirs_assessment'].pk}/").status_code \
        == 404


def test_detail_routes_take_no_parameters(org_a, key_client, two_orgs):
    client = key_client(org_a, "analyst")
    code = two_orgs["mine"].code
    response = client.get(f"/api/participants/{code}/", {"organisation": "org-b"})
    assert response.status_code == 400 and "organisation" in response.json()


def test_pagination_links_carry_only_the_callers_own_filters(org_a, key_client,
                                                             make_participant):
    for _ in range(3):
        make_participant(org_a, status="returned")
    client = key_client(org_a, "analyst")
    body = client.get("/api/participants/", {"status": "returned", "page_size": 1}).json()
    assert body["count"] == 3
    assert body["next"] == ("http://testserver/api/participants/"
                            "?page=2&page_size=1&status=returned")
    assert client.get(body["next"]).json()["count"] == 3


@pytest.mark.parametrize("query", [{"participant": "P-\x00"}, {"status": "gone"},
                                   {"axis": "x" * 41}, {"version": "9" * 21}])
def test_bad_filter_values_are_a_400_naming_the_parameter(query, org_a, key_client,
                                                          two_orgs):
    url = "/api/participants/" if "status" in query else "/api/scores/"
    response = key_client(org_a, "analyst").get(url, query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


# --- caching --------------------------------------------------------------------------------


def test_no_response_may_be_stored_by_a_cache(org_a, key_client, two_orgs):
    client = key_client(org_a, "analyst")
    code = two_orgs["mine"].code
    for url in [*PEOPLE, f"/api/participants/{code}/", "/api/cohort/", "/api/instruments/",
                "/api/participants/NOPE/", "/api/participants/?page=9"]:
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url
    refused = key_client(org_a, "viewer").get("/api/participants/")
    assert refused.status_code == 403 and "no-store" in refused["Cache-Control"]


# --- rate limit -----------------------------------------------------------------------------


def _rate(rate: str) -> dict:
    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": rate}}


def test_requests_with_a_key_are_rate_limited_per_person(org_a, key_client, login, two_orgs):
    with override_settings(REST_FRAMEWORK=_rate("3/min")):
        client = key_client(org_a, "analyst")
        assert [client.get("/api/instruments/").status_code for _ in range(4)] == \
            [200, 200, 200, 429]
        limited = client.get("/api/participants/")
        assert limited.status_code == 429
        assert 0 < int(limited["Retry-After"]) <= 60
        assert "throttled" in limited.json()["detail"]
        # Someone else's key has its own allowance; the browser session is not limited.
        assert key_client(org_a, "interviewer").get("/api/participants/").status_code == 200
        browser = login(org_a, "analyst", username="browser-analyst")
        assert [browser.get("/api/instruments/").status_code for _ in range(5)] == [200] * 5
    # A limited request read nothing and is not audited as a read.
    assert not AuditEntry.objects.filter(action="api.read", actor_username=client.user
                                         .username).exists()


def test_the_default_rate_is_set():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"] == "1000/hour"


# --- answers --------------------------------------------------------------------------------


def test_answers_off_their_scale_are_never_passed_on(org_a, key_client, two_orgs):
    assessment = two_orgs["mine_assessment"]
    Assessment.objects.filter(pk=assessment.pk).update(answers={
        "rating__healing": "she told me her sister's name 4242",  # words in a rating
        "rating__purpose": 11,                                      # off the 1–10 ladder
        "rating__inner_peace": True,                                # not a number
        "rating__self_capacity": "prefer_not_to_say",               # offered: kept
        "effect__family__healing": -2,                              # on the effect scale
        "effect__family__purpose": "not_applicable",                # offered: kept
        "effect__family__inner_peace": 7.5,                         # off the scale
        "effect__family__self_capacity": None,                      # unanswered: kept
        "note__family": "own words 4242",                           # a free-text item
        "removed_in_a_later_wording": 3,                            # not in the instrument
    })
    client = key_client(org_a, "analyst")
    response = client.get(f"/api/assessments/{assessment.pk}/")
    assert response.status_code == 200
    assert "4242" not in response.content.decode()
    assert response.json()["answers"] == {
        "rating__self_capacity": "prefer_not_to_say",
        "effect__family__healing": -2,
        "effect__family__purpose": "not_applicable",
        "effect__family__self_capacity": None,
    }


def test_answers_of_an_unknown_instrument_version_or_of_a_bad_shape_are_left_out(
    org_a, key_client, two_orgs
):
    assessment = two_orgs["mine_assessment"]
    client = key_client(org_a, "analyst")
    Assessment.objects.filter(pk=assessment.pk).update(instrument_version="9.9")
    assert client.get(f"/api/assessments/{assessment.pk}/").json()["answers"] == {}
    Assessment.objects.filter(pk=assessment.pk).update(
        instrument_version="2.0", answers=["rating__healing", "words 4242"]
    )
    response = client.get("/api/assessments/")
    assert response.status_code == 200
    assert response.json()["results"][0]["answers"] == {}
    assert "4242" not in response.content.decode()


# --- consent --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["expired", "withdrawn"])
def test_ended_consent_takes_a_person_out_of_every_endpoint_and_the_counts(
    how, org_a, key_client, two_orgs, make_participant, assess
):
    person = two_orgs["mine"]
    for _ in range(5):
        assess(make_participant(org_a))
    client = key_client(org_a, "analyst")
    n_before = client.get("/api/cohort/").json()["sample"]["n"]
    decisions = ConsentDecision.objects.filter(consent__participant=person,
                                               purpose="own_reporting")
    if how == "expired":
        decisions.update(expires_on=timezone.now().date() - timedelta(days=1))
    else:
        decisions.update(withdrawn_at=timezone.now() - timedelta(seconds=1))
    for url in PEOPLE:
        codes = {row.get("participant", row.get("code"))
                 for row in client.get(url).json()["results"]}
        assert person.code not in codes and len(codes) == 5, url
    assert client.get(f"/api/participants/{person.code}/").status_code == 404
    assert client.get(f"/api/assessments/{two_orgs['mine_assessment'].pk}/").status_code \
        == 404
    assert client.get("/api/assessments/", {"participant": person.code}).json()["count"] == 0
    assert client.get("/api/cohort/").json()["sample"]["n"] == n_before - 1 == 5


def test_consent_that_ends_today_still_holds_today(org_a, key_client, two_orgs):
    ConsentDecision.objects.filter(consent__participant=two_orgs["mine"]).update(
        expires_on=timezone.now().date()
    )
    body = key_client(org_a, "analyst").get("/api/participants/").json()
    assert [row["code"] for row in body["results"]] == [two_orgs["mine"].code]


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/api/instruments/empowerment-interview/9.9/",
    "/api/instruments/no-such-instrument/2.0/",
    "/api/instruments/empowerment-interview/..%2F..%2Fetc/",
    "/api/instruments/empowerment-interview/2.0%00/",
    "/api/participants/" + "P" * 200 + "/",
    "/api/assessments/99999999999999999999999/",
])
def test_unknown_records_are_404_not_500(url, org_a, key_client):
    response = key_client(org_a, "analyst").get(url)
    assert response.status_code == 404
    if response["Content-Type"] == "application/json":  # routed to an API view
        assert set(response.json()) == {"detail"}


def test_an_unexpected_failure_is_a_plain_json_500_without_a_trace(
    org_a, key_client, two_orgs, monkeypatch, caplog
):
    from empower.web.api import queries

    def broken(participant):
        raise RuntimeError("internal detail 4242")

    monkeypatch.setattr(queries, "participant_row", broken)
    client = key_client(org_a, "analyst")
    response = client.get(f"/api/participants/{two_orgs['mine'].code}/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    body = response.content.decode()
    assert "4242" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert "no-store" in response["Cache-Control"]
    # The operator still gets the full story in the log.
    assert any("internal detail 4242" in str(r.exc_info[1]) for r in caplog.records
               if r.exc_info)


def test_options_and_head_follow_the_same_rules_as_get(org_a, key_client, two_orgs):
    from rest_framework.test import APIClient

    viewer = key_client(org_a, "viewer")
    for url in PEOPLE:
        assert APIClient().options(url).status_code == 403, url
        assert viewer.options(url).status_code == 403, url
        assert viewer.head(url).status_code == 403, url
    head = key_client(org_a, "analyst").head("/api/participants/")
    assert head.status_code == 200 and "no-store" in head["Cache-Control"]
