"""Every page of the site opens without a server error for each role, on real demo data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from tests.web.test_access_matrix import PUBLIC, _params, _routes

from empower.web.accounts.models import Organisation
from empower.web.reviews.models import Project, Record, Search


@pytest.fixture
def own(db, login):
    call_command("demo", stdout=StringIO())
    organisation = Organisation.objects.get(slug="demo")
    from empower.web.people.models import Participant

    participant = Participant.objects.filter(organisation=organisation).first()
    project = Project.objects.create(organisation=organisation, title="Smoke review",
                                     question="Does it open?")
    search = Search.objects.create(project=project, database="Scopus", query="x",
                                   run_on="2024-01-01", hits=1)
    Record.objects.create(project=project, source=search.database, title="A record")
    return organisation, participant, project


@pytest.mark.parametrize("role", ["admin", "interviewer", "analyst", "viewer"])
def test_every_page_opens_for_every_role(own, login, role):
    organisation, participant, project = own
    client = login(organisation, role, username=f"smoke-{role}")
    member = organisation.memberships.filter(role=role).first()
    values = {
        "code": participant.code, "consent_id": participant.consents.first().pk,
        "instrument_id": "empowerment-interview", "version": "2.0", "what": "decisions.csv",
    }
    pk_for = {"assessment_detail": participant.assessments.first().pk}
    for name, route in _routes():
        if name in PUBLIC or name in ("logout",):
            continue
        kwargs = {}
        for param in _params(route):
            if param == "pk":
                kwargs[param] = pk_for.get(name, project.pk if name.startswith("review_")
                                           else member.pk)
            else:
                kwargs[param] = values[param]
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code < 500, (role, name, response.status_code)
