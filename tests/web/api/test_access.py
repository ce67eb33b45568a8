"""Who reaches what: organisation isolation, roles, consent, keys and two-step login."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from empower.web.api.models import ApiKey
from empower.web.people.models import ConsentDecision
from empower.web.people.services import withdraw

PEOPLE = ["/api/participants/", "/api/assessments/", "/api/scores/"]


@pytest.fixture
def two_orgs(org_a, org_b, make_participant, assess):
    mine = make_participant(org_a)
    theirs = make_participant(org_b, name="Other Org Person 8080")
    return {"mine": mine, "mine_assessment": assess(mine),
            "theirs": theirs, "theirs_assessment": assess(theirs, (2, 2, 2, 2))}


def _codes(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return {row.get("participant", row.get("code")) for row in response.json()["results"]}


@pytest.mark.parametrize("role", ["admin", "interviewer", "analyst"])
def test_another_organisations_records_are_never_returned(role, org_a, key_client, two_orgs):
    client = key_client(org_a, role)
    for url in PEOPLE:
        assert _codes(client, url) == {two_orgs["mine"].code}
    theirs = two_orgs["theirs"].code
    for url in (f"/api/participants/{theirs}/",
                f"/api/assessments/{two_orgs['theirs_assessment'].pk}/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "8080" not in response.content.decode() and theirs not in response.json()
    for url in ("/api/assessments/", "/api/scores/"):
        assert client.get(url, {"participant": theirs}).json()["count"] == 0


def test_a_browser_session_gets_the_same_isolation(org_a, login, two_orgs):
    client = login(org_a, "analyst")
    assert client.get("/api/participants/").json()["results"][0]["code"] == \
        two_orgs["mine"].code
    assert client.get(f"/api/participants/{two_orgs['theirs'].code}/").status_code == 404


def test_viewers_get_aggregates_and_instruments_only(org_a, key_client, two_orgs):
    client = key_client(org_a, "viewer")
    for url in [*PEOPLE, f"/api/participants/{two_orgs['mine'].code}/",
                f"/api/assessments/{two_orgs['mine_assessment'].pk}/"]:
        assert client.get(url).status_code == 403, url
    assert client.get("/api/cohort/").status_code == 200
    assert client.get("/api/instruments/").status_code == 200


def test_a_login_without_membership_reads_nothing(db, org_a, two_orgs, django_user_model):
    user = django_user_model.objects.create_user("drifter", password="a-long-test-password")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiKey.create_for(user)[1]}")
    for url in [*PEOPLE, "/api/cohort/", "/api/instruments/", "/api/schema/"]:
        assert client.get(url).status_code == 403, url


def test_no_key_a_wrong_key_or_a_stopped_login_reads_nothing(org_a, key_client, two_orgs):
    assert APIClient().get("/api/participants/").status_code == 403
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token emp_00000000_" + "0" * 43)
    assert wrong.get("/api/participants/").status_code == 403
    client = key_client(org_a, "analyst")
    assert client.get("/api/participants/").status_code == 200
    client.user.is_active = False
    client.user.save()
    response = client.get("/api/participants/")
    assert response.status_code == 403
    assert "results" not in response.json()


def test_a_role_change_applies_to_an_existing_key(org_a, key_client, two_orgs):
    client = key_client(org_a, "analyst")
    assert client.get("/api/participants/").status_code == 200
    client.user.membership.role = "viewer"
    client.user.membership.save()
    assert client.get("/api/participants/").status_code == 403


def test_an_administrators_key_needs_two_step_login(org_a, key_client, two_orgs):
    client = key_client(org_a, "admin")  # with a confirmed authenticator
    assert client.get("/api/participants/").status_code == 200
    TOTPDevice.objects.filter(user=client.user).delete()  # reset after a lost phone
    response = client.get("/api/participants/")
    assert response.status_code == 403
    assert "two-step" in response.json()["detail"]


def test_an_administrator_session_without_the_code_step_is_held(org_a, client, make_member,
                                                                two_orgs):
    client.force_login(make_member(org_a, "admin"))  # no authenticator set up
    response = client.get("/api/participants/")
    assert response.status_code == 302 and "two-step" in response["Location"]


def test_only_participants_consenting_to_own_reporting_appear(
    org_a, key_client, make_participant, assess
):
    refused = make_participant(org_a, purposes=("interview", "research"))
    assess(refused)
    client = key_client(org_a, "analyst")
    for url in PEOPLE:
        assert refused.code not in _codes(client, url)
    assert client.get(f"/api/participants/{refused.code}/").status_code == 404


def test_a_withdrawal_removes_the_person_from_every_endpoint_at_once(
    org_a, key_client, two_orgs, make_participant, assess
):
    person = two_orgs["mine"]
    for _ in range(5):  # enough others that the cohort still has numbers to show
        assess(make_participant(org_a))
    client = key_client(org_a, "analyst")
    assert all(person.code in _codes(client, url) for url in PEOPLE)
    n_before = client.get("/api/cohort/").json()["sample"]["n"]
    withdraw(person, list(ConsentDecision.objects.filter(
        consent__participant=person, purpose="own_reporting")))
    for url in PEOPLE:
        assert person.code not in _codes(client, url), url
    assert client.get(f"/api/participants/{person.code}/").status_code == 404
    assert client.get(f"/api/assessments/{two_orgs['mine_assessment'].pk}/").status_code == 404
    assert client.get("/api/cohort/").json()["sample"]["n"] == n_before - 1


def test_an_expired_consent_counts_as_none(org_a, key_client, two_orgs):
    ConsentDecision.objects.filter(consent__participant=two_orgs["mine"]).update(
        expires_on=timezone.now().date().replace(year=2020)
    )
    assert _codes(key_client(org_a, "analyst"), "/api/participants/") == set()


def test_the_api_only_reads(org_a, key_client, two_orgs):
    client = key_client(org_a, "admin")
    code = two_orgs["mine"].code
    for url in [*PEOPLE, f"/api/participants/{code}/"]:
        for method in ("post", "put", "patch", "delete"):
            assert getattr(client, method)(url, {}).status_code == 405, (method, url)
