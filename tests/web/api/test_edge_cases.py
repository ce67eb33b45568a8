"""Edge cases found by testing the API from outside: bad page numbers and sizes, addresses that
do not exist, methods it does not take, participant codes in small letters, a parameter given
twice, and text typed into filters (which must never reach the audit trail)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from empower.web import views as site_views
from empower.web.api.errors import API_PREFIX, KEY_PAGE
from empower.web.audit.models import AuditEntry

LISTS = ["/api/participants/", "/api/assessments/", "/api/scores/", "/api/instruments/"]
PEOPLE = LISTS[:3]


def _reads() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="api.read").order_by("sequence"))


@pytest.fixture
def three(org_a, make_participant, assess):
    """Three consenting participants of org-a with one interview each (4 axis scores each)."""
    people = [make_participant(org_a) for _ in range(3)]
    for person in people:
        assess(person)
    return people


@pytest.fixture
def analyst(org_a, key_client):
    return key_client(org_a, "analyst")


# --- 1. page and page_size ------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("size", ["abc", "0", "-1", "101", "1000", "2.0", "+5", " 5", "", "৫"])
def test_a_bad_page_size_is_a_400_naming_it_and_the_range(url, size, analyst, three):
    response = analyst.get(url, {"page_size": size})
    assert response.status_code == 400, (url, size)
    body = response.json()
    assert set(body) == {"page_size"}
    assert "1 to 100" in body["page_size"][0]
    assert not _reads()


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.0", "last", ""])
def test_a_bad_page_is_a_400_naming_it(url, page, analyst, three):
    response = analyst.get(url, {"page": page})
    assert response.status_code == 400, (url, page)
    assert set(response.json()) == {"page"}
    assert "whole number from 1" in response.json()["page"][0]
    assert not _reads()


def test_a_bad_page_and_page_size_are_both_named(analyst, three):
    response = analyst.get("/api/participants/", {"page": "x", "page_size": "0"})
    assert response.status_code == 400
    assert set(response.json()) == {"page", "page_size"}


def test_good_page_numbers_and_sizes_still_work(analyst, three):
    # 3 participants: pages of 2 are 2 + 1; the boundaries 1 and 100 are allowed.
    assert len(analyst.get("/api/participants/", {"page_size": 1}).json()["results"]) == 1
    assert len(analyst.get("/api/participants/", {"page_size": 100}).json()["results"]) == 3
    second = analyst.get("/api/participants/", {"page_size": "2", "page": "2"}).json()
    assert second["count"] == 3 and len(second["results"]) == 1
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/participants/?page_size=2"
    # Leading zeros are still a whole number; a page past the end is still 404.
    assert len(analyst.get("/api/participants/", {"page_size": "02"}).json()["results"]) == 2
    past = analyst.get("/api/participants/", {"page": 3, "page_size": 2})
    assert past.status_code == 404 and set(past.json()) == {"detail"}
    huge = analyst.get("/api/participants/", {"page": "9" * 5000})
    assert huge.status_code == 404


# --- 2. unknown addresses, refused methods: JSON under /api/, HTML elsewhere -----------------

UNKNOWN = ["/api/nope/", "/api/participants/P-7KQ2MX/extra/", "/api/assessments/abc/",
           "/api/instruments/empowerment-interview/", "/api", "/api/key/nope/"]


def _is_json_detail(response, status: int) -> bool:
    return (response.status_code == status
            and response["Content-Type"].startswith("application/json")
            and set(json.loads(response.content)) == {"detail"})


@pytest.mark.parametrize("url", UNKNOWN)
def test_an_unknown_address_under_api_is_a_json_404(url, analyst, login, org_a):
    assert _is_json_detail(analyst.get(url), 404), url
    assert _is_json_detail(APIClient().get(url), 404), url  # no credentials
    browser = login(org_a, "interviewer")
    response = browser.get(url)
    assert _is_json_detail(response, 404), url
    assert "no-store" in response["Cache-Control"]


def test_the_rest_of_the_site_keeps_its_html_error_pages(login, org_a, client):
    browser = login(org_a, "analyst")
    for url in ("/no-such-page/", "/apiary/", "/participants/NOPE/"):
        response = browser.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("text/html"), url


def test_the_key_page_is_a_page_for_people_and_keeps_html_errors(client, org_a):
    # A login without a membership may not open the key page: the site's HTML 403 page.
    stranger = get_user_model().objects.create_user("stranger", password="a-long-password")
    client.force_login(stranger)
    response = client.get(KEY_PAGE)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_the_prefix_in_the_error_handlers_is_where_the_api_lives():
    assert reverse("api_schema").startswith(API_PREFIX)
    assert reverse("api_participant_list").startswith(API_PREFIX)
    assert reverse("api_key") == KEY_PAGE


def test_server_errors_outside_the_api_views_are_json_under_api_and_html_elsewhere():
    factory = RequestFactory()
    api = site_views.server_error(factory.get("/api/participants/"))
    assert _is_json_detail(api, 500)
    assert site_views.server_error(factory.get("/participants/"))["Content-Type"] \
        .startswith("text/html")
    refused = site_views.forbidden(factory.get("/api/scores/"))
    assert _is_json_detail(refused, 403)


@pytest.mark.parametrize("url", [*LISTS, "/api/cohort/", "/api/schema/",
                                 "/api/instruments/empowerment-interview/2.0/"])
def test_methods_other_than_get_are_a_json_405(url, analyst, three):
    for method in ("post", "put", "patch", "delete", "options"):
        response = getattr(analyst, method)(url, {})
        assert _is_json_detail(response, 405), (method, url)
        assert method.upper() in response.json()["detail"], (method, url)


def test_the_schema_refuses_in_json_too(client):
    response = client.get("/api/schema/")
    assert _is_json_detail(response, 403)


# --- 3. participant codes in any case -------------------------------------------------------


def test_a_participant_code_matches_in_any_case(analyst, three, org_b, make_participant,
                                                assess):
    person = three[0]
    lower = person.code.lower()
    assert lower != person.code  # codes are made in capitals ("P-…")
    assessments = analyst.get("/api/assessments/", {"participant": lower}).json()
    assert assessments["count"] == 1
    assert assessments["results"][0]["participant"] == person.code
    scores = analyst.get("/api/scores/", {"participant": lower}).json()
    assert scores["count"] == 4  # one interview, four axes
    assert {row["participant"] for row in scores["results"]} == {person.code}
    detail = analyst.get(f"/api/participants/{lower}/")
    assert detail.status_code == 200 and detail.json()["code"] == person.code
    assert _reads()[-1].target_id == person.code  # the audit names the code as stored


def test_any_case_still_finds_only_the_callers_own_participants(analyst, three, org_b,
                                                                make_participant, assess):
    theirs = make_participant(org_b)
    assess(theirs)
    for code in (theirs.code.lower(), theirs.code.title()):
        for url in ("/api/assessments/", "/api/scores/"):
            body = analyst.get(url, {"participant": code}).json()
            assert body["count"] == 0 and body["results"] == [], (url, code)
        assert analyst.get(f"/api/participants/{code}/").status_code == 404


# --- 4. a parameter given twice -------------------------------------------------------------


@pytest.mark.parametrize("url, query, name", [
    ("/api/scores/", "axis=healing&axis=purpose", "axis"),
    ("/api/assessments/", "participant=P-AAAAAA&participant=P-BBBBBB", "participant"),
    ("/api/participants/", "status=returned&status=returned", "status"),
    ("/api/participants/", "page_size=1&page_size=2", "page_size"),
    ("/api/instruments/", "page=1&page=2", "page"),
    ("/api/cohort/", "language=en&language=bn", "language"),
])
def test_a_parameter_given_more_than_once_is_a_400_naming_it(url, query, name, analyst,
                                                             three):
    response = analyst.get(f"{url}?{query}")
    assert response.status_code == 400, url
    assert set(response.json()) == {name}
    assert "more than once" in response.json()[name][0]
    assert not _reads()


def test_repeated_and_unknown_parameters_are_named_together(analyst, three):
    response = analyst.get("/api/scores/?axis=healing&axis=purpose&organisation=org-b")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"axis", "organisation"}
    assert "more than once" in body["axis"][0]
    assert "Unknown parameter" in body["organisation"][0]


# --- 5. what a filter records in the audit trail --------------------------------------------

CRAFTED = {
    "axis": "Amina Rahman",
    "instrument": "<script>alert(1)</script>",
    "version": "+8801712345678",
    "participant": "Amina R.",
}


def _everything_recorded() -> str:
    return "\n".join(entry.canonical() for entry in AuditEntry.objects.all())


def test_typed_filter_values_never_reach_the_audit_trail(analyst, three):
    response = analyst.get("/api/scores/", CRAFTED)
    assert response.status_code == 200 and response.json()["count"] == 0
    (entry,) = _reads()
    # Which filters were used is kept; what was typed into them is not.
    assert entry.detail["filters"] == dict.fromkeys(CRAFTED)
    recorded = _everything_recorded()
    for typed in CRAFTED.values():
        assert typed not in recorded
    assert "script" not in recorded and "Amina" not in recorded and "8801712345678" not in recorded


def test_known_filter_values_are_recorded_in_empowers_own_spelling(analyst, three):
    person = three[0]
    analyst.get("/api/scores/", {"axis": "healing", "instrument": "empowerment-interview",
                                 "version": "2.0", "participant": person.code.lower()})
    analyst.get("/api/participants/", {"status": "returned", "gender": "female"})
    scores, participants = _reads()
    assert scores.detail["filters"] == {
        "axis": "healing", "instrument": "empowerment-interview", "version": "2.0",
        "participant": person.code,  # as stored, not as typed
    }
    assert participants.detail["filters"] == {"status": "returned", "gender": "female"}


def test_another_organisations_code_in_a_filter_is_not_recorded(analyst, three, org_b,
                                                                make_participant):
    theirs = make_participant(org_b)
    analyst.get("/api/assessments/", {"participant": theirs.code})
    (entry,) = _reads()
    assert entry.detail["filters"] == {"participant": None}
    assert theirs.code not in _everything_recorded()
