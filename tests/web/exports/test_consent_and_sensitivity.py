"""Who is in a file and which of their details: consent per purpose, coarsening for research."""

from __future__ import annotations

import csv
import io

import pytest

from empower.web.exports.datasets import ExportRefused
from empower.web.exports.files import NothingToExport, make_export
from empower.web.people.services import withdraw

from .conftest import BASELINE, FOLLOW_UP, ladder, research

pytestmark = pytest.mark.django_db


def _rows(content: bytes) -> list[dict[str, str]]:
    lines = [line for line in content.decode("utf-8-sig").splitlines()
             if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def test_only_participants_with_consent_to_the_purpose(org_a, person, interview):
    both = person(org_a, purposes=("interview", "own_reporting", "research"))
    own_only = person(org_a, purposes=("interview", "own_reporting"))
    refused = person(org_a, purposes=("interview",))
    for p in (both, own_only, refused):
        interview(p, ladder(5))
    own = {r["participant"] for r in _rows(
        make_export(org_a, "assessments", "csv", "own_reporting").content)}
    research_codes = {r["participant"] for r in _rows(
        make_export(org_a, "assessments", "csv", "research").content)}
    assert own == {both.code, own_only.code}
    assert research_codes == {research(both)}


def test_withdrawal_takes_effect_at_once(org_a, person, interview):
    staying = person(org_a)
    leaving = person(org_a)
    for p in (staying, leaving):
        interview(p, ladder(6))
    before = _rows(make_export(org_a, "scores", "csv", "research").content)
    assert {r["participant"] for r in before} == {research(staying), research(leaving)}
    decision = leaving.consents.get().decisions.get(purpose="research")
    withdraw(leaving, [decision])
    after = _rows(make_export(org_a, "scores", "csv", "research").content)
    assert {r["participant"] for r in after} == {research(staying)}
    htcds = _rows(make_export(org_a, "htcds", "csv", "research").content)
    assert {r["emp_ParticipantCode"] for r in htcds} == {research(staying)}


def test_nothing_to_export(org_a, person):
    person(org_a, purposes=("interview", "own_reporting"))  # no interview yet
    with pytest.raises(NothingToExport):
        make_export(org_a, "assessments", "csv", "own_reporting")
    with pytest.raises(NothingToExport):
        make_export(org_a, "htcds", "csv", "research")


def test_row_level_files_are_never_for_sharing(org_a):
    with pytest.raises(ExportRefused, match="totals"):
        make_export(org_a, "assessments", "csv", "sharing")
    with pytest.raises(ExportRefused):
        make_export(org_a, "htcds", "sav", "own_reporting")
    with pytest.raises(ExportRefused):
        make_export(org_a, "aggregates", "hxl", "sharing", "internal")


@pytest.fixture
def six_people(org_a, person, interview):
    """Ages at the first interview 18, 19, 21, 30, 41, 44; four women, a man, another gender."""
    org_a.small_cell_threshold = 3
    org_a.save()
    people = []
    for age, gender in [(18, "female"), (19, "female"), (21, "male"), (30, "female"),
                        (41, "another"), (44, "female")]:
        p = person(org_a, gender=gender, year_of_birth=BASELINE.year - age,
                   region_of_origin="Jessore", destination_country="Thailand",
                   exploitation_types=["labour_trafficking"], status="returned")
        interview(p, ladder(5))
        people.append(p)
    return people


def test_staff_see_quasi_identifiers_as_recorded(org_a, six_people):
    rows = _rows(make_export(org_a, "assessments", "csv", "own_reporting").content)
    by_code = {r["participant"]: r for r in rows}
    first = by_code[six_people[0].code]
    assert first["year_of_birth"] == str(BASELINE.year - 18)
    assert first["region_of_origin"] == "Jessore"
    assert first["destination_country"] == "Thailand"
    assert by_code[six_people[2].code]["gender"] == "male"
    assert "age_band" not in first


def test_research_gets_age_bands_and_no_region_or_destination(org_a, six_people):
    rows = _rows(make_export(org_a, "assessments", "csv", "research").content)
    assert not {"year_of_birth", "region_of_origin", "destination_country"} & set(rows[0])
    by_code = {r["participant"]: r for r in rows}
    # threshold 3: the 3rd youngest is 21 → "under 25"; the 3rd oldest is 30 → "30 or older"
    bands = [by_code[research(p)]["age_band"] for p in six_people]
    assert bands == ["under 25", "under 25", "under 25", "30 or older", "30 or older",
                     "30 or older"]
    # one man and one person of another gender: fewer than 3 each, so left empty
    genders = [by_code[research(p)]["gender"] for p in six_people]
    assert genders == ["female", "female", "", "female", "", "female"]
    assert {r["exploitation_types"] for r in rows} == {"labour_trafficking"}
    assert {r["status"] for r in rows} == {"returned"}


def test_rare_interview_languages_are_left_empty_for_research(org_a, person, interview):
    org_a.small_cell_threshold = 3
    org_a.save()
    speakers = {"bn": 3, "my": 1, "en": 2}
    for language, n in speakers.items():
        for _ in range(n):
            p = person(org_a)
            interview(p, ladder(5), language=language)
            interview(p, ladder(6), on=FOLLOW_UP, language=language)
    research_rows = _rows(make_export(org_a, "assessments", "csv", "research").content)
    # three people were interviewed in Bengali: shown; one in Burmese and two in English
    # (each interviewed twice, so four English rows but two people): left empty
    for row in research_rows:
        assert row["language"] in ("bn", "")
    assert sum(r["language"] == "bn" for r in research_rows) == 6
    staff_rows = _rows(make_export(org_a, "assessments", "csv", "own_reporting").content)
    assert sorted({r["language"] for r in staff_rows}) == ["bn", "en", "my"]


def test_research_files_blank_the_same_genders(org_a, person, interview):
    """Three women and one man were interviewed; two more men have consent but no interview.
    Among the people in the assessments file the man is alone (threshold 3), so his gender is
    empty there — and it must be empty in the HTCDS file too, although three men are in that
    file: both files carry the research code, and one would give the other away."""
    org_a.small_cell_threshold = 3
    org_a.save()
    women = [person(org_a, gender="female") for _ in range(3)]
    man = person(org_a, gender="male")
    for p in (*women, man):
        interview(p, ladder(5))
    others = [person(org_a, gender="male") for _ in range(2)]
    assessments = {r["participant"]: r for r in _rows(
        make_export(org_a, "assessments", "csv", "research").content)}
    htcds = {r["emp_ParticipantCode"]: r for r in _rows(
        make_export(org_a, "htcds", "csv", "research").content)}
    assert assessments[research(man)]["gender"] == ""
    assert htcds[research(man)]["prs_Gender"] == ""
    assert {htcds[research(p)]["prs_Gender"] for p in others} == {""}
    assert {assessments[research(w)]["gender"] for w in women} == {"female"}
    assert {htcds[research(w)]["prs_Gender"] for w in women} == {"Feminine"}


def test_research_code_is_not_the_participant_code(org_a, person, interview):
    p = person(org_a)
    interview(p, ladder(5))
    for dataset in ("assessments", "scores", "htcds"):
        content = make_export(org_a, dataset, "csv", "research").content.decode("utf-8-sig")
        assert research(p) in content and p.code not in content, dataset
    assert research(p) != p.code and research(p).startswith("R-") and len(research(p)) == 12
