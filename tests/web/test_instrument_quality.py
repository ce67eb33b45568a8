"""The instrument-quality page: reliability and structure from the organisation's own answers."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from empower.web.accounts.models import Organisation

URL = ("instrument_quality", ["empowerment-scales", "1.0"])


@pytest.fixture
def demo(db):
    call_command("demo", stdout=StringIO())
    return Organisation.objects.get(slug="demo")


def test_quality_of_the_demo_scales(demo, client, make_member):
    client.force_login(make_member(demo, "analyst", username="quality-analyst"))
    response = client.get(reverse(URL[0], args=URL[1]))
    q = response.context["q"]
    # Every assessment made with the scales counts: the demo's known model gives each
    # subscale six items loading 0.8 on one factor, so alpha is high and the structure fits.
    assert q["n"] == sum(1 for _ in demo_scales_assessments())
    for subscale in q["subscales"]:
        assert 0.8 < subscale["alpha"].alpha < 0.97, subscale["label"]
        assert subscale["alpha"].k == 6
    assert q["cfa"].cfi > 0.95 and q["cfa"].rmsea < 0.06
    page = response.content.decode()
    assert "Cronbach" in page and "RMSEA" in page


def demo_scales_assessments():
    from empower.demo import pilot_cohort

    for person in pilot_cohort():
        for assessment in person.assessments:
            if assessment.instrument_key == "empowerment-scales@1.0":
                yield assessment


def test_the_interview_page_explains_the_single_item_assumption(demo, client, make_member):
    client.force_login(make_member(demo, "analyst", username="quality-analyst"))
    page = client.get(reverse("instrument_quality", args=["empowerment-interview", "2.0"]))
    assert "test–retest reliability of 0.8" in page.content.decode()


def test_other_organisations_answers_are_not_used(demo, client, make_member, org_b):
    client.force_login(make_member(org_b, "analyst", username="b-analyst"))
    q = client.get(reverse(URL[0], args=URL[1])).context["q"]
    assert q["n"] == 0
    assert "cfa_problem" in q


@pytest.mark.parametrize("role", ["interviewer", "viewer"])
def test_only_admins_and_analysts(demo, client, make_member, role):
    client.force_login(make_member(demo, role, username=f"q-{role}"))
    assert client.get(reverse(URL[0], args=URL[1])).status_code == 403
