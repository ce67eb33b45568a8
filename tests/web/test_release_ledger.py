"""The withdraw-and-compare attack (issue 11), repeated against every way figures leave.

A reader keeps the report published before one person withdrew her consent to reporting and
the one published after, and subtracts: a count that went down by one names her group, and
``n₁·mean₁ − n₂·mean₂`` is her score. The internal reports (staff only, exact) show that the
attack works on this cohort; every release to viewers, partners or the public must defeat it.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from empower.instruments import get_instrument
from empower.web.assessments import cohort
from empower.web.assessments.recording import record_assessment
from empower.web.exports.files import make_export
from empower.web.exports.models import Release
from empower.web.people.models import ConsentDecision
from empower.web.people.services import withdraw

AXES = ("healing", "purpose", "inner_peace", "self_capacity")
KEYS = ("gender", "status", "destination", "exploitation_types", "region")
HER = {"gender": "female", "status": "returned", "destination": "Thailand",
       "exploitation_types": "labour_trafficking", "region": "north"}
HER_RATINGS = (8, 7, 5, 2)
#: The ladder's score is (rating − 1) / 9 · 100.
HER_SCORES = {"healing": 700 / 9, "purpose": 600 / 9, "inner_peace": 400 / 9,
              "self_capacity": 100 / 9}


def assess(person: Any, ratings: tuple[int, ...]) -> None:
    record_assessment(
        participant=person, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date.today(), language="en", interviewer=None,
        answers={f"rating__{axis}": r for axis, r in zip(AXES, ratings, strict=True)},
    )


def add(make_participant: Any, org: Any, i: int, **fields: Any) -> Any:
    person = make_participant(org, year_of_birth=1990 + i % 10, **fields)
    assess(person, tuple((i * k) % 10 + 1 for k in (1, 3, 7, 9)))
    return person


@pytest.fixture
def her(org_a: Any, make_participant: Any) -> Any:
    """30 people: 18 women, 20 returned, 15 to Thailand, 16 in labour trafficking, 15 from the
    north — she is one of each, so every group she is in is shown to viewers."""
    for i in range(29):
        add(make_participant, org_a, i,
            gender="female" if i < 17 else "male",
            status="returned" if i < 19 else "just_escaped",
            destination_country="Thailand" if i < 14 else "Malaysia",
            exploitation_types=["labour_trafficking"] if i < 15 else ["sex_trafficking"],
            region_of_origin="north" if i < 14 else "south")
    person = make_participant(
        org_a, year_of_birth=1994, gender="female", status="returned",
        destination_country="Thailand", exploitation_types=["labour_trafficking"],
        region_of_origin="north")
    assess(person, HER_RATINGS)
    return person


def withdraw_reporting(person: Any) -> None:
    withdraw(person, list(ConsentDecision.objects.filter(
        consent__participant=person, purpose="own_reporting")))


def counts(report: dict) -> dict[tuple[str, Any], int]:
    """Every published count of the sample breakdowns."""
    return {(key, row["category"]): row["count"]
            for key, rows in report["sample"]["breakdowns"].items() for row in rows
            if row["count"] is not None}


def attack(before: dict, after: dict) -> tuple[dict[str, Any], dict[str, float | None]]:
    """What subtracting ``after`` from ``before`` tells about the one person who left: each
    group whose published count went down by exactly one, and ``n₁·mean₁ − n₂·mean₂`` per
    axis (None when a figure is not published in both)."""
    old, new = counts(before), counts(after)
    groups = {key: category for (key, category), n in old.items()
              if (key, category) in new and n - new[(key, category)] == 1}
    scores: dict[str, float | None] = {}
    rows = {row["axis"]: row for row in after["axis_scores"]}
    for row in before["axis_scores"]:
        other = rows.get(row["axis"], {})
        known = None not in (row["n"], row["mean"], other.get("n"), other.get("mean"))
        scores[row["axis"]] = row["n"] * row["mean"] - other["n"] * other["mean"] \
            if known else None
    return groups, scores


def test_the_attack_works_on_exact_internal_reports(org_a, her):
    """The control: on the staff's exact figures the attack finds her — so it is a real test
    of the releases below."""
    before = cohort.cohort_report(org_a)
    withdraw_reporting(her)
    after = cohort.cohort_report(org_a)
    groups, scores = attack(before, after)
    assert groups == HER
    for axis, score in HER_SCORES.items():
        assert scores[axis] == pytest.approx(score, abs=1e-6)
    # Internal reports stay exact: 29 people, means not rounded.
    assert after["sample"]["n"] == 29
    assert any(isinstance(r["mean"], float) and r["mean"] != round(r["mean"])
               for r in after["axis_scores"])


@pytest.mark.parametrize("audience", ["viewer", "external", "public"])
def test_comparing_releases_from_before_and_after_her_withdrawal_learns_nothing(
        org_a, her, audience):
    before = cohort.cohort_report(org_a, audience=audience)
    assert before["meta"]["disclosure"]["release"]["status"] == "published"
    withdraw_reporting(her)
    after = cohort.cohort_report(org_a, audience=audience)
    groups, scores = attack(before, after)
    assert groups == {}  # no group isolates her
    for axis, score in HER_SCORES.items():
        assert scores[axis] is None or abs(scores[axis] - score) > 0.5, axis
    # The earlier figures are shown again, and the report says so in plain words.
    assert after["sample"] == before["sample"]
    assert after["axis_scores"] == before["axis_scores"]
    assert after["meta"]["disclosure"]["release"]["status"] == "held"
    assert "shown again unchanged" in after["meta"]["disclosure"]["note"]
    assert "fewer than" in after["meta"]["disclosure"]["note"]


def test_published_means_are_rounded_for_viewers(org_a, her):
    report = cohort.cohort_report(org_a, audience="viewer")
    means = [r["mean"] for r in report["axis_scores"]]
    assert means and all(isinstance(m, int) for m in means)
    # Healing: the 29 others (i = 0…28) rate (i mod 10) + 1 and she rates 8, so
    # Σ(r − 1) = 45 + 45 + 36 + 7 = 133 and the mean score is 133/30 · 100/9 = 49.26 → 49.
    healing = next(r for r in report["axis_scores"] if r["axis"] == "healing")
    assert (healing["n"], healing["mean"]) == (30, 49)


def test_new_figures_once_enough_people_changed_with_a_small_group_withheld(
        org_a, her, make_participant):
    before = cohort.cohort_report(org_a, audience="viewer")
    withdraw_reporting(her)
    # Six newcomers, all from the south: every group she was in changed by seven people
    # (she left, six joined) — except "north", which only she left.
    for i in range(6):
        add(make_participant, org_a, 100 + i, gender="female", status="returned",
            destination_country="Thailand", exploitation_types=["labour_trafficking"],
            region_of_origin="south")
    after = cohort.cohort_report(org_a, audience="viewer")
    release = after["meta"]["disclosure"]["release"]
    assert release["status"] == "published"
    assert release["withheld_tables"] == ["breakdown:region"]
    assert after["sample"]["n"] == 35
    assert [r["label"] for r in after["sample"]["breakdowns"]["region"]] == [
        "Withheld to protect privacy"]
    assert "Some tables are withheld" in after["meta"]["disclosure"]["note"]
    groups, scores = attack(before, after)
    assert groups == {}
    for axis, score in HER_SCORES.items():
        assert scores[axis] is None or abs(scores[axis] - score) > 0.5, axis


def test_the_page_for_viewers_shows_the_earlier_figures_again(org_a, her, client,
                                                              make_member):
    client.force_login(make_member(org_a, "viewer"))
    first = client.get(reverse("cohort_report"), follow=True)
    assert first.context["report"]["sample"]["n"] == 30
    withdraw_reporting(her)
    again = client.get(reverse("cohort_report"), follow=True)
    assert again.context["report"]["sample"]["n"] == 30
    assert "shown again unchanged" in again.content.decode()


def test_the_command_line_report_is_held_too(org_a, her, tmp_path):
    out = tmp_path / "report.json"

    def report() -> dict:
        call_command("report", "--format", "json", "--output", str(out), "--audience",
                     "external", stderr=StringIO())
        return json.loads(out.read_text(encoding="utf-8"))

    before = report()
    withdraw_reporting(her)
    after = report()
    assert attack(before, after)[0] == {}
    assert after["sample"]["n"] == before["sample"]["n"] == 30


def _hxl_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[2:]


def test_a_file_of_totals_is_made_again_unchanged_after_a_withdrawal(org_a, her):
    first = make_export(org_a, "aggregates", "hxl", "own_reporting", "viewer")
    withdraw_reporting(her)
    second = make_export(org_a, "aggregates", "hxl", "own_reporting", "viewer")
    text = second.content.decode("utf-8-sig")
    assert "made again unchanged" in text
    numbers = [row[4:9] for row in _hxl_rows(first.content)]
    assert [row[4:9] for row in _hxl_rows(second.content)] == numbers
    assert all(row[0] == "30" for row in numbers)  # she is still counted: nothing new


def test_totals_after_a_withdrawal_are_refused_when_only_a_report_went_out_before(org_a, her):
    # A viewer saw the report with her; a file of totals without her would differ by one.
    cohort.cohort_report(org_a, audience="viewer")
    withdraw_reporting(her)
    export = make_export(org_a, "aggregates", "hxl", "own_reporting", "viewer")
    text = export.content.decode("utf-8-sig")
    assert "No totals can be given yet" in text
    assert ",29," not in text and ",30," not in text


def test_releases_are_recorded_once_and_encrypted(org_a, her):
    cohort.cohort_report(org_a, audience="viewer")
    cohort.cohort_report(org_a, audience="viewer")
    cohort.cohort_report(org_a, "bn", audience="viewer")
    assert Release.objects.filter(organisation=org_a).count() == 1
    release = Release.objects.get()
    assert set(release.figures) == {"en", "bn"}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT contributions, figures FROM exports_release")
        stored = " ".join(cursor.fetchone())
    assert her.code not in stored and "Thailand" not in stored
