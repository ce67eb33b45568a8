"""Reports are computed once per change of the data behind them, and never served stale.

A stored report is only used while the organisation's data version and the set of people its
reports count are what they were when it was computed. These tests count the computations and
check that every change that must reach a report (a new assessment, a withdrawal, a lapsed
consent, an erasure, a changed disclosure threshold) does, while another organisation's changes
leave a stored report alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from empower.instruments import get_instrument
from empower.web.assessments import cohort
from empower.web.assessments.recording import record_assessment
from empower.web.people.models import ConsentDecision
from empower.web.people.services import erase, withdraw
from empower.web.reportcache.cache import cached, current_version
from empower.web.reportcache.models import CachedResult

AXES = ("healing", "purpose", "inner_peace", "self_capacity")


def assess(participant: Any, steps: tuple[int, ...] = (4, 7, 10, 1)) -> Any:
    return record_assessment(
        participant=participant,
        instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date.today(), language="en", interviewer=None,
        answers={f"rating__{axis}": step for axis, step in zip(AXES, steps, strict=True)},
    )


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The organisations whose cohort report was really computed, in order."""
    calls: list[str] = []
    real = cohort._compute_cohort_report

    def counting(organisation: Any, language: str, audience: str) -> Any:
        calls.append(organisation.slug)
        return real(organisation, language, audience)

    monkeypatch.setattr(cohort, "_compute_cohort_report", counting)
    return calls


@pytest.fixture
def people(org_a: Any, make_participant: Any) -> list[Any]:
    group = [make_participant(org_a, gender="female") for _ in range(3)]
    for person in group:
        assess(person)
    return group


def test_a_second_view_is_served_from_storage(org_a, people, computations):
    first = cohort.cohort_report(org_a)
    second = cohort.cohort_report(org_a)
    assert computations == ["org-a"]
    assert second == first
    assert second["sample"]["n"] == 3


def test_each_audience_and_language_is_its_own_result(org_a, people, computations):
    cohort.cohort_report(org_a, "en", "internal")
    cohort.cohort_report(org_a, "en", "viewer")
    cohort.cohort_report(org_a, "bn", "internal")
    cohort.cohort_report(org_a, "en", "viewer")
    assert computations == ["org-a"] * 3


def test_a_new_assessment_reaches_the_next_report(org_a, people, make_participant,
                                                  computations):
    assert cohort.cohort_report(org_a)["sample"]["n"] == 3
    assess(make_participant(org_a))
    assert cohort.cohort_report(org_a)["sample"]["n"] == 4
    assert len(computations) == 2


def test_a_withdrawal_reaches_the_next_report_at_once(org_a, people, computations):
    assert cohort.cohort_report(org_a)["sample"]["n"] == 3
    html_before = cohort.cohort_report_html(org_a)
    decisions = list(ConsentDecision.objects.filter(
        consent__participant=people[0], purpose="own_reporting"))
    withdraw(people[0], decisions)
    assert cohort.cohort_report(org_a)["sample"]["n"] == 2
    assert cohort.cohort_report_html(org_a) != html_before


def test_a_change_made_outside_the_site_still_reaches_the_report(org_a, people, computations):
    # A bulk update sends no signal, so the data version does not move; the digest of who
    # the report counts still changes the key.
    cohort.cohort_report(org_a)
    ConsentDecision.objects.filter(consent__participant=people[1]).update(
        withdrawn_at=timezone.now() - timedelta(seconds=1))
    assert cohort.cohort_report(org_a)["sample"]["n"] == 2


def test_a_consent_that_lapsed_overnight_is_not_served_from_yesterday(
        org_a, people, computations, monkeypatch):
    cohort.cohort_report(org_a)
    ConsentDecision.objects.filter(consent__participant=people[2]).update(
        expires_on=timezone.now().date())
    assert cohort.cohort_report(org_a)["sample"]["n"] == 3  # still holds today
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert cohort.cohort_report(org_a)["sample"]["n"] == 2


def test_an_erasure_reaches_the_report(org_a, people, computations):
    cohort.cohort_report(org_a)
    erase(people[0])
    assert not CachedResult.objects.filter(organisation=org_a).exists()  # nothing kept from them
    assert cohort.cohort_report(org_a)["sample"]["n"] == 2


def test_results_of_older_data_are_dropped_when_a_new_one_is_stored(org_a, people):
    cohort.cohort_report(org_a)
    cohort.cohort_report(org_a, language="bn")
    assess(people[0], (5, 5, 5, 5))
    cohort.cohort_report(org_a)
    # The Bengali report of the old data is gone with the old English one; one row is left.
    assert CachedResult.objects.filter(organisation=org_a, name="cohort_report").count() == 1


def test_a_changed_threshold_reaches_a_shared_report(org_a, people, computations):
    # Three women: shown to staff, hidden from viewers while the threshold is 5 …
    def women(report: dict) -> Any:
        rows = report["sample"]["breakdowns"]["gender"]
        return next((r["count"] for r in rows if r["category"] == "female"), None)

    assert women(cohort.cohort_report(org_a, audience="viewer")) is None
    org_a.small_cell_threshold = 3
    org_a.save()
    # … and shown once the organisation lowers it.
    assert women(cohort.cohort_report(org_a, audience="viewer")) == 3


def test_another_organisations_changes_leave_a_stored_report_alone(
        org_a, org_b, people, make_participant, computations):
    cohort.cohort_report(org_a)
    version = current_version(org_a)
    other = make_participant(org_b)
    assess(other)
    withdraw(other, list(ConsentDecision.objects.filter(consent__participant=other)))
    assert current_version(org_a) == version
    cohort.cohort_report(org_a)
    assert computations == ["org-a"]


def test_stored_results_are_encrypted(org_a, people):
    cohort.cohort_report(org_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM reportcache_cachedresult")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored
    for payload in stored:
        assert "sample" not in payload and org_a.name not in payload
        assert payload.startswith("enc")


def test_a_result_that_cannot_be_read_is_computed_again(org_a, people, computations):
    cohort.cohort_report(org_a)
    # As after the data key that sealed it was retired.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reportcache_cachedresult SET payload = %s",
                       ["enc1:0123456789abcdef:" + "A" * 64])
    assert cohort.cohort_report(org_a)["sample"]["n"] == 3
    assert computations == ["org-a", "org-a"]


def test_results_are_kept_apart_by_organisation(org_a, org_b):
    assert cached(org_a, "thing", ("x",), lambda: {"who": "a"}) == {"who": "a"}
    assert cached(org_b, "thing", ("x",), lambda: {"who": "b"}) == {"who": "b"}
    assert cached(org_a, "thing", ("x",), lambda: {"who": "changed"}) == {"who": "a"}


def test_a_participant_chart_is_drawn_once_per_change(org_a, people, login, monkeypatch):
    from django.urls import reverse

    from empower.web.people import views

    drawn: list[int] = []
    real = views.trajectory_svg

    def counting(frame: Any, *args: Any, **kwargs: Any) -> str:
        drawn.append(len(frame))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(views, "trajectory_svg", counting)
    client = login(org_a, "analyst")
    url = reverse("participant_detail", args=[people[0].code])
    first = client.get(url).content.decode()
    assert client.get(url).content.decode().count("<svg") == first.count("<svg") == 1
    assert drawn == [4]  # four axis scores, drawn once for two visits
    assess(people[0], (8, 8, 8, 8))
    client.get(url)
    assert drawn == [4, 8]  # the new assessment is in the chart at once


def test_someone_elses_follow_up_leaves_a_participant_chart_drawn(org_a, people, login,
                                                                  monkeypatch):
    from django.urls import reverse

    from empower.web.people import views

    drawn: list[int] = []
    real = views.trajectory_svg
    monkeypatch.setattr(views, "trajectory_svg",
                        lambda frame, *a, **k: drawn.append(len(frame)) or real(frame, *a, **k))
    client = login(org_a, "analyst")
    url = reverse("participant_detail", args=[people[0].code])
    client.get(url)
    # A follow-up of another person moves no first score and no reliability (the ladder's is
    # fixed), so this person's bands and scores, and therefore the chart, are the same.
    assess(people[1], (9, 9, 9, 9))
    client.get(url)
    assert drawn == [4]
