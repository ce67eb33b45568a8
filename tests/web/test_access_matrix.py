"""Every URL, every role, objects of another organisation: nothing leaks.

The URL list is read from the URL configuration, so a new view is covered as soon as it is
added. A route parameter this test does not know fails the test: teach it below which object of
the *other* organisation to put there.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from empower.instruments import get_instrument
from empower.web.assessments.recording import record_assessment
from empower.web.people.models import ConsentDecision, Participant, Referral
from empower.web.reviews.models import Decision, Project, Record

ROLES = ["admin", "interviewer", "analyst", "viewer"]
RATINGS = {f"rating__{a}": 5 for a in ("healing", "purpose", "inner_peace", "self_capacity")}

#: Routes anyone may open without logging in, and why.
PUBLIC = {
    "login",            # the way in
    "login_code",       # second step of the way in; needs a half-finished login
    "logout",
    "quick_exit",       # must work for anyone, at any moment
    "set_language",
    "favicon",          # the site's icon
}

#: Routes whose parameters name no record of an organisation: they show the user's own
#: organisation's figures (tested in their own modules to hold only that organisation's data).
ORGANISATION_WIDE = {
    "instrument_quality",  # tests/web/test_instrument_quality.py
    "api_instrument_detail",  # instruments are the same for everyone: tests/web/api/
    "instrument_xlsform",  # the same form for everyone; tests/web/test_instrument_pages.py
}


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """(route name, route pattern) for every named URL of the site."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((entry.name, prefix + str(entry.pattern)))
    return found


@pytest.fixture
def other_org_data(org_b, make_participant, make_member):
    """A participant of organisation B with everything that can hang off a person."""
    participant = make_participant(org_b, purposes=("interview", "own_reporting", "referral"),
                                   name="Other Org Person 8080")
    assessment = record_assessment(
        participant=participant, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date.today(), language="en", interviewer=None, answers=RATINGS,
        narratives={"note__family": "other org narrative 8080"},
    )
    Referral.objects.create(participant=participant, kind="legal")
    member = make_member(org_b, "interviewer", username="b-worker")
    project = Project.objects.create(organisation=org_b, title="Other org review 8080",
                                     question="Other org question 8080")
    review_record = Record.objects.create(project=project, source="Scopus",
                                          title="Other org record 8080")
    Decision.objects.create(record=review_record, stage="title_abstract",
                            reviewer=member, value="1")
    from empower.web.jobs.models import Job

    job = Job.objects.create(organisation=org_b, kind="cohort_report", status="running",
                             params={"language": "en", "audience": "internal"})
    return {
        "job": job,
        "project": project,
        "participant": participant,
        "assessment": assessment,
        "consent": participant.consents.get(),
        "membership": member.membership,
    }


def _kwargs(name: str, route: str, data: dict) -> dict:
    """Fill each route parameter with an object of the other organisation."""
    values = {
        "code": data["participant"].code,
        "consent_id": data["consent"].pk,
        "instrument_id": "empowerment-interview",
        "version": "2.0",
        "what": "decisions.csv",
    }
    pk_by_route = {
        "assessment_detail": data["assessment"].pk,
        "job_detail": data["job"].pk,
        "api_assessment_detail": data["assessment"].pk,
        "member_update": data["membership"].pk,
        "member_unlock": data["membership"].pk,
        "member_reset_two_step": data["membership"].pk,
        **dict.fromkeys(("import_review", "import_discard"), data["membership"].user
                        .pending_imports.get_or_create(organisation=data["project"].organisation,
                                                       filename="other-8080.json")[0].pk),
        **{name: data["project"].pk for name, _route in _routes() if name.startswith("review_")},
    }
    kwargs = {}
    for param in _params(route):
        if param == "pk":
            assert name in pk_by_route, f"access matrix: say which object <pk> is in '{name}'"
            kwargs[param] = pk_by_route[name]
        else:
            assert param in values, f"access matrix: unknown parameter <{param}> in '{name}'"
            kwargs[param] = values[param]
    return kwargs


def _params(route: str) -> list[str]:
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _snapshot(data: dict) -> tuple:
    participant = Participant.objects.get(pk=data["participant"].pk)
    return (
        participant.code, participant.name,
        tuple(ConsentDecision.objects.filter(consent__participant=participant)
              .values_list("purpose", "agreed", "withdrawn_at")),
        participant.assessments.count(), participant.drafts.count(),
        tuple(participant.referrals.values_list("status", flat=True)),
        data["membership"].__class__.objects.filter(pk=data["membership"].pk)
        .values_list("role", flat=True).first(),
        tuple(Project.objects.filter(pk=data["project"].pk).values_list("title", "question")),
        tuple(Record.objects.filter(project=data["project"]).values_list("id", "removed",
                                                                          "retrieval")),
        tuple(Decision.objects.filter(record__project=data["project"])
              .values_list("id", "value")),
    )


def test_the_matrix_sees_the_person_data_routes():
    names = {name for name, _ in _routes()}
    for expected in ("participant_detail", "assessment_detail", "consent_withdraw",
                     "participant_contact", "participant_erase", "cohort_report", "audit_log"):
        assert expected in names


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_another_organisations_data(role, org_a, login, other_org_data):
    from django.urls import reverse

    client = login(org_a, role)
    before = _snapshot(other_org_data)
    for name, route in _routes():
        if not _params(route) or name in PUBLIC or name in ORGANISATION_WIDE:
            continue
        url = reverse(name, kwargs=_kwargs(name, route, other_org_data))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            body = response.content.decode(errors="replace")
            status = response.status_code
            assert status in (403, 404, 405), (role, method, name, status)
            assert "8080" not in body, (role, method, name)
    assert _snapshot(other_org_data) == before


def test_anonymous_visitors_reach_nothing_but_the_public_pages(client, other_org_data):
    from django.urls import reverse

    for name, route in _routes():
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=_kwargs(name, route, other_org_data))
        response = client.get(url)
        assert response.status_code in (302, 403, 404, 405), (name, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), name
        assert "8080" not in response.content.decode(errors="replace"), name


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_read_only_roles_change_nothing_in_their_own_organisation(
    role, org_b, client, make_member, other_org_data
):
    """Analysts and viewers of the same organisation: no POST anywhere changes a record, and a
    viewer sees no page about a single person."""
    from django.urls import reverse

    client.force_login(make_member(org_b, role))
    before = _snapshot(other_org_data)
    for name, route in _routes():
        if not _params(route) or name in PUBLIC:
            continue
        url = reverse(name, kwargs=_kwargs(name, route, other_org_data))
        if role == "viewer" and "code" in _params(route):  # every page about one person
            assert client.get(url).status_code in (403, 405), name
        client.post(url, {"confirm_code": other_org_data["participant"].code,
                          "purpose": "interview", "role": "admin", "active": "on"})
    assert _snapshot(other_org_data) == before


def test_the_old_icon_address_leads_to_the_site_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("empower/favicon.svg")
