"""Change over time in the cohort report: reliable change on known data, consent, privacy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from empower.instruments import get_instrument
from empower.web.assessments.change import LADDER_RELIABILITY
from empower.web.assessments.cohort import cohort_report
from empower.web.assessments.recording import record_assessment

AXES = ("healing", "purpose", "inner_peace", "self_capacity")


def _interview(participant, day, healing):
    record_assessment(
        participant=participant, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=day, language="en", interviewer=None,
        answers={f"rating__{a}": (healing if a == "healing" else 5) for a in AXES},
    )


@pytest.fixture
def six(org_a, make_participant):
    """Six people rated on healing at baseline 2…7 and again 120 days later.

    Baseline scores are (r − 1)/9·100 = 11.1 … 66.7; their SD is 11.11·SD(1…6) = 20.787.
    With the assumed reliability 0.8, S_diff = 20.787·√(2·0.2) = 13.147, so a change must
    exceed 1.96·13.147 = 25.77 points: 3 ladder steps (33.3) is reliable, 2 steps (22.2) not.
    Changes of +3, +3, +2, 0, −3, 0 steps → 2 improved, 3 unchanged, 1 deteriorated.
    """
    assert LADDER_RELIABILITY == 0.8
    start = date.today() - timedelta(days=200)
    people = []
    for baseline, step in zip((2, 3, 4, 5, 6, 7), (3, 3, 2, 0, -3, 0), strict=True):
        person = make_participant(org_a)
        person.consents.update(given_at=person.consents.get().given_at - timedelta(days=300))
        _interview(person, start, baseline)
        _interview(person, start + timedelta(days=120), baseline + step)
        people.append(person)
    return people


def _healing(report):
    return next(r for r in report["change"]["axes"] if r["axis"] == "healing")


def test_reliable_change_counts_match_the_hand_worked_example(org_a, six):
    row = _healing(cohort_report(org_a))
    assert row["n"] == 6
    assert (row["reliably_improved"], row["no_reliable_change"],
            row["reliably_deteriorated"]) == (2, 3, 1)
    assert row["median_days_to_improvement"] is None  # 2 of 6 improved: median not reached
    notes = " ".join(cohort_report(org_a)["change"]["notes"])
    assert "0.8 is assumed" in notes


def test_withdrawn_reporting_consent_leaves_the_change_figures(org_a, six):
    from empower.web.people.services import withdraw

    improver = six[0]
    withdraw(improver, list(improver.consents.get().decisions.filter(purpose="own_reporting")))
    assert _healing(cohort_report(org_a))["n"] == 5


def test_viewers_do_not_see_small_change_counts(org_a, six):
    row = _healing(cohort_report(org_a, audience="viewer"))
    # 6 people compared is above the threshold of 5, but the counts 2, 3, 1 are all small.
    assert row["reliably_improved"] is None and row["reliably_deteriorated"] is None


def test_the_report_page_shows_the_change_section(org_a, six, login):
    from django.urls import reverse

    page = login(org_a, "analyst").get(reverse("cohort_report")).content.decode()
    assert "Change over time" in page and "Reliably improved" in page


def test_participant_chart_shows_the_reliable_change_band(org_a, six, login):
    """The band's half-width is 1.96 · S_diff: for healing, 1.96 · 13.147 = 25.77 points
    (see the fixture); the other axes never vary, so they get no band."""
    from django.urls import reverse

    from empower.web.assessments.change import change_bands

    first = six[0].assessments.order_by("conducted_on").first()
    bands = change_bands(org_a, first)
    assert set(bands) == {"healing"}
    assert bands["healing"] == pytest.approx(1.96 * 20.787 * (2 * 0.2) ** 0.5, abs=0.01)
    page = login(org_a, "analyst").get(reverse("participant_detail", args=[six[0].code]))
    assert "shaded band" in page.content.decode()


def test_the_demo_analysis_recovers_the_known_change(db):
    """The demo's follow-ups come from a known model: true improvers must be flagged far more
    often than people whose level did not change, and true decliners never as improved."""
    from io import StringIO

    from django.core.management import call_command

    from empower.demo import pilot_cohort
    from empower.metrics.change import classify_change
    from empower.web.accounts.models import Organisation
    from empower.web.assessments.change import reliabilities, reportable_assessments, score_frame
    from empower.web.people.models import Participant

    call_command("demo", stdout=StringIO())
    organisation = Organisation.objects.get(slug="demo")
    assessments = reportable_assessments(organisation)
    reliability, _notes = reliabilities(assessments)
    classified = classify_change(score_frame(assessments), reliability)
    # The demo command creates participants in the generator's order.
    truth = {p.pk: person.trajectory for p, person in zip(
        Participant.objects.filter(organisation=organisation).order_by("pk"), pilot_cohort(),
        strict=True)}
    classified["truth"] = classified["participant"].map(truth)
    improved = classified["category"] == "reliably_improved"
    rate = improved.groupby(classified["truth"]).mean()
    assert rate["improver"] > 0.4
    assert rate["stable"] < 0.1
    assert rate["deteriorator"] == 0
    deteriorated = classified["category"] == "reliably_deteriorated"
    assert deteriorated.groupby(classified["truth"]).mean()["improver"] < 0.02


def test_time_to_improvement_curve_is_for_staff_only(org_a, six):
    assert "healing" in cohort_report(org_a)["change"]["curves"]
    assert cohort_report(org_a, audience="viewer")["change"]["curves"] == {}


def test_cohort_trajectory_in_the_report(org_a, six):
    """Bin 0: healing baselines 2…7 → scores 11.1 … 66.7, mean 38.89; bin 90 (day 120): the
    follow-ups 5, 6, 6, 5, 3, 7 → mean of (r − 1)/9·100 = 42.59."""
    report = cohort_report(org_a)
    healing = [p for p in report["change"]["trajectory"] if p["axis"] == "healing"]
    assert [(p["days"], p["n"]) for p in healing] == [(0, 6), (90, 6)]
    assert healing[0]["mean"] == pytest.approx(350 / 9, abs=1e-9)
    assert healing[1]["mean"] == pytest.approx(sum((r - 1) / 9 * 100 for r in (5, 6, 6, 5, 3, 7))
                                               / 6)
    shared = cohort_report(org_a, audience="external")
    assert all(p["mean"] is not None for p in shared["change"]["trajectory"])  # 6 ≥ 5
