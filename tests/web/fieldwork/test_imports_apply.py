"""Applying a download to the database: matching, idempotency, all-or-nothing, consent."""

from __future__ import annotations

import json

import pytest

from empower.web.assessments.models import Assessment, AxisScore
from empower.web.fieldwork.imports import NO_PARTICIPANT, run_import
from empower.web.fieldwork.models import ImportedSubmission

FILES = ["kobo_api_v2.json", "kobo_export.xlsx", "kobo_export.csv", "odk_central.csv",
         "odk_central.zip"]


def _run(org, data, name, user=None, dry_run=False, **options):
    return run_import(organisation=org, data=data, filename=name, source=None, user=user,
                      dry_run=dry_run, **options)


@pytest.mark.parametrize("name", FILES)
def test_every_format_adds_three_assessments(name, org_a, people, data_file, make_member):
    user = make_member(org_a, "interviewer")
    outcome = _run(org_a, data_file(name), name, user=user)
    assert outcome.errors == [] and outcome.written
    assert [(r.participant_code, r.status) for r in outcome.rows] == [
        ("P-7KQ4MX", "added"), ("P-3HW9TD", "added"), ("P-N2C8RF", "added")]
    assert outcome.added == 3
    assessments = Assessment.objects.filter(participant__organisation=org_a)
    assert assessments.count() == 3
    first = assessments.get(participant__code="P-7KQ4MX")
    assert first.instrument_key == "empowerment-interview@2.0"
    assert first.conducted_on.isoformat() == "2026-03-14"
    assert first.language == "bn"
    assert first.interviewer == user  # the importing user
    assert first.answers["rating__healing"] == 7
    assert first.answers["rating__inner_peace"] == "prefer_not_to_say"
    assert first.narratives == {"note__family": "আমার মা আমাকে আবার ঘরে নিয়েছেন"}
    with_services = name not in ("kobo_export.csv", "odk_central.csv")
    assert len(first.services) == (2 if with_services else 0)
    # Ladder scores, by hand: 100 · (x − 1) / 9.
    scores = dict(AxisScore.objects.filter(assessment=first).values_list("axis", "score"))
    assert scores["healing"] == pytest.approx(66.6667, abs=1e-3)
    assert scores["purpose"] == pytest.approx(44.4444, abs=1e-3)
    assert scores["inner_peace"] is None
    assert scores["self_capacity"] == pytest.approx(77.7778, abs=1e-3)
    assert set(ImportedSubmission.objects.values_list("submission_id", flat=True)) == {
        "5b8f0a3c-2d1e-4f6a-9b7c-3e2d1f0a9b8c", "a41c7e92-6f3b-4d85-8e1a-0c9b7d6e5f42",
        "e0d9c8b7-a6f5-4e3d-9c2b-1a0f9e8d7c6b"}


def test_importing_again_adds_nothing_even_from_another_format(org_a, people, data_file):
    assert _run(org_a, data_file("kobo_api_v2.json"), "k.json").added == 3
    again = _run(org_a, data_file("kobo_api_v2.json"), "k.json")
    assert again.errors == [] and again.added == 0 and again.skipped == 3
    assert {r.status for r in again.rows} == {"skipped"}
    other = _run(org_a, data_file("kobo_export.xlsx"), "k.xlsx")
    assert other.skipped == 3
    assert Assessment.objects.count() == 3 and ImportedSubmission.objects.count() == 3


def test_a_dry_run_writes_nothing_and_says_what_would_happen(org_a, people, data_file):
    outcome = _run(org_a, data_file("kobo_export.xlsx"), "k.xlsx", dry_run=True)
    assert outcome.errors == [] and not outcome.written and outcome.ready
    assert [(r.row, r.participant_code, r.instrument_key, r.status) for r in outcome.rows] == [
        (2, "P-7KQ4MX", "empowerment-interview@2.0", "add"),
        (3, "P-3HW9TD", "empowerment-interview@2.0", "add"),
        (4, "P-N2C8RF", "empowerment-interview@2.0", "add"),
    ]
    assert Assessment.objects.count() == 0 and ImportedSubmission.objects.count() == 0


def test_one_unknown_participant_and_nothing_is_written(org_a, people, data_file):
    people["P-N2C8RF"].delete()
    outcome = _run(org_a, data_file("kobo_export.csv"), "k.csv")
    assert not outcome.written
    assert [(p.row, p.column, p.message) for p in outcome.errors] == [
        (4, "participant_code", NO_PARTICIPANT)]
    assert Assessment.objects.count() == 0 and ImportedSubmission.objects.count() == 0


def test_another_organisations_participant_is_never_matched(org_a, org_b, make_participant,
                                                            consent_factory, people, data_file):
    people["P-3HW9TD"].delete()
    theirs = make_participant(org_b, consent=False, code="P-3HW9TD")
    consent_factory(theirs, "interview", days_ago=400)
    outcome = _run(org_a, data_file("kobo_api_v2.json"), "k.json")
    assert [(p.row, p.message) for p in outcome.errors] == [(2, NO_PARTICIPANT)]
    assert not theirs.assessments.exists() and Assessment.objects.count() == 0


def test_missing_consent_is_a_row_problem_and_nothing_is_written(org_a, people, data_file):
    from empower.web.people.models import ConsentDecision

    ConsentDecision.objects.filter(consent__participant=people["P-3HW9TD"]).delete()
    outcome = _run(org_a, data_file("odk_central.zip"), "o.zip")
    assert [(p.row, p.column) for p in outcome.errors] == [(3, "")]
    assert "No consent record covers this interview" in outcome.errors[0].message
    assert Assessment.objects.count() == 0


def test_consent_given_after_the_interview_does_not_cover_it(org_a, make_participant,
                                                             consent_factory, data_file):
    for code in ("P-7KQ4MX", "P-3HW9TD", "P-N2C8RF"):
        consent_factory(make_participant(org_a, consent=False, code=code), "interview",
                        days_ago=400 if code != "P-N2C8RF" else 10)
    outcome = _run(org_a, data_file("kobo_api_v2.json"), "k.json")
    assert [p.row for p in outcome.errors] == [3]
    assert Assessment.objects.count() == 0


def test_row_problems_from_the_file_are_listed_with_the_database_ones(org_a, people,
                                                                      data_file):
    people["P-7KQ4MX"].delete()
    outcome = _run(org_a, data_file("kobo_wrong_types.csv"), "k.csv")
    assert [(p.row, p.column) for p in outcome.errors] == [
        (2, "participant_code"), (2, "ladder/rating__healing"), (3, "ladder/rating__purpose")]
    assert outcome.with_problems == 2


def test_the_instrument_option_and_unknown_instruments(org_a, people, data_file):
    document = json.loads(data_file("kobo_api_v2.json"))
    for result in document["results"]:
        del result["instrument"]
    data = json.dumps(document).encode()
    without = _run(org_a, data, "k.json")
    assert [p.column for p in without.errors] == ["instrument"] * 3
    with_option = _run(org_a, data, "k.json", instrument="empowerment-interview@2.0")
    assert with_option.added == 3
    ImportedSubmission.objects.all().delete()
    Assessment.objects.all().delete()
    document["results"][0]["instrument"] = "empowerment-interview@3.0"
    unknown = _run(org_a, json.dumps(document).encode(), "k.json",
                   instrument="empowerment-interview@2.0")
    assert [(p.row, p.column) for p in unknown.errors] == [(1, "instrument")]
    assert unknown.errors[0].message.startswith("unknown instrument 'empowerment-interview@3.0'")
    assert Assessment.objects.count() == 0


def test_an_edited_submission_already_imported_is_skipped(org_a, people, data_file):
    _run(org_a, data_file("kobo_api_v2.json"), "k.json")
    document = json.loads(data_file("kobo_api_v2.json"))
    first = document["results"][0]
    first["meta/deprecatedID"] = "uuid:" + first["_uuid"]
    first["_uuid"] = "0f0e0d0c-1111-4222-8333-944455566677"
    outcome = _run(org_a, json.dumps(document).encode(), "k.json")
    assert outcome.skipped == 3 and outcome.added == 0
    assert "earlier version" in outcome.rows[0].note
