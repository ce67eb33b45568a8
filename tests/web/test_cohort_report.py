"""The cohort report on the demo cohort reproduces the pilot's published sample exactly."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from empower.web.accounts.models import Organisation
from empower.web.assessments.cohort import cohort_report


@pytest.fixture
def demo(db):
    call_command("demo", stdout=StringIO())
    return Organisation.objects.get(slug="demo")


def _counts(report, key):
    rows = report["sample"]["breakdowns"][key]
    return {row["category"]: (row["count"], row["percent"]) for row in rows}


def test_demo_report_shows_the_pilot_sample(demo):
    report = cohort_report(demo)
    sample = report["sample"]
    # Published figures (Issara Institute 2018, "Sample at a glance"); percentages rounded
    # half up to two decimals from the exact fractions, e.g. 65/76 = 85.526… → 85.53.
    assert sample["n"] == 76
    assert _counts(report, "gender") == {"female": (45, 59.21), "male": (31, 40.79)}
    assert _counts(report, "status") == {
        "returned": (65, 85.53), "just_escaped": (6, 7.89), "settled_elsewhere": (5, 6.58),
    }
    assert _counts(report, "destination") == {
        "Thailand": (28, 36.84), "China": (24, 31.58), "Myanmar": (15, 19.74),
        "Singapore": (4, 5.26), None: (5, 6.58),
    }
    assert sample["age"] == {"n": 76, "minimum": 15, "maximum": 49, "mean": 25.83}
    regions = _counts(report, "region")
    assert regions[None] == (1, 1.32)
    assert len([r for r in regions if r is not None]) == 10
    types = _counts(report, "exploitation_types")
    assert max(types, key=lambda t: types[t][0]) == "labour_trafficking"
    assert report["meta"]["synthetic"] is True


def test_demo_report_axis_scores_by_instrument_version(demo):
    report = cohort_report(demo)
    by_version: dict[str, set[int]] = {}
    for row in report["axis_scores"]:
        by_version.setdefault(f"{row['instrument_id']}@{row['instrument_version']}", set()).add(
            row["n"] + row["n_missing"]
        )
    # Everyone seen with a version counts once, at their latest assessment with it: the 46
    # first seen with the scales, and the 30 first seen with the interview plus those of the
    # 46 whose last follow-up used the interview.
    from empower.demo import pilot_cohort

    switched = sum(
        1 for p in pilot_cohort()
        if p.instrument_key == "empowerment-scales@1.0"
        and p.assessments[-1].instrument_key == "empowerment-interview@2.0"
    )
    assert 0 < switched < 46
    assert by_version == {"empowerment-scales@1.0": {46},
                          "empowerment-interview@2.0": {30 + switched}}


def test_demo_factor_map_follows_the_pilot_findings(demo):
    cells = cohort_report(demo)["factor_axis_map"]
    assert len(cells) == 9 * 4

    def mean_over_axes(factor):
        rows = [c for c in cells if c["factor"] == factor and c["n"]]
        return sum(c["mean_effect"] * c["n"] for c in rows) / sum(c["n"] for c in rows)

    assert mean_over_axes("legal_process") < 0
    assert mean_over_axes("work_and_finances") > 0
    assert mean_over_axes("psychosocial_support") > 0
    family = [c for c in cells if c["factor"] == "family" and c["n"]]
    # "Strong either way": both directions present, and few people report no effect.
    assert all(c["share_empowering"] > 0 and c["share_disempowering"] > 0 for c in family)
    for c in cells:
        if c["n"]:
            total = c["share_empowering"] + c["share_disempowering"] + c["share_no_effect"]
            assert total == pytest.approx(1.0)


def test_withdrawn_reporting_consent_drops_a_participant_at_once(demo):
    from empower.web.people.models import Participant

    participant = Participant.objects.filter(organisation=demo, status="just_escaped").first()
    from empower.web.people.services import withdraw

    own_reporting = participant.consents.get().decisions.filter(purpose="own_reporting")
    withdraw(participant, list(own_reporting))
    report = cohort_report(demo)
    assert report["sample"]["n"] == 75
    assert _counts(report, "status")["just_escaped"][0] == 5


def test_report_page_for_a_viewer(demo, client, make_member):
    client.force_login(make_member(demo, "viewer", username="report-viewer"))
    page = client.get(reverse("cohort_report")).content.decode()
    assert "Thailand" in page and "85.53" in page and "<svg" in page
    assert "synthetic" in page.lower()


def test_command_line_report_as_json(demo, tmp_path):
    out = tmp_path / "cohort.json"
    call_command("report", "--format", "json", "--output", str(out), stderr=StringIO())
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["sample"]["n"] == 76
    assert _counts(report, "destination")["Thailand"] == (28, 36.84)


def test_command_line_report_as_html(demo):
    out = StringIO()
    call_command("report", "--organisation", "demo", stdout=out)
    html = out.getvalue()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "<svg" in html and "85.53" in html


def test_unknown_organisation_is_a_clear_error(demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"No organisation 'nope'\. Known: demo"):
        call_command("report", "--organisation", "nope")


def test_demo_refuses_to_load_twice_but_if_empty_is_quiet(demo):
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("demo")


def test_command_line_export_is_audited(demo, tmp_path):
    from empower.web.audit.models import AuditEntry

    call_command("report", "--format", "json", "--output", str(tmp_path / "r.json"),
                 stderr=StringIO())
    entry = AuditEntry.objects.get(action="export")
    assert entry.organisation_slug == "demo"
    assert entry.detail == {"format": "json", "audience": "external", "to": "file"}


def test_viewers_get_small_groups_suppressed_and_staff_do_not(demo, client, make_member):
    # Singapore (4 people) is below the default threshold of 5; as the only small cell among
    # destinations it also needs a complementary cell, the next smallest ("not given", 5).
    client.force_login(make_member(demo, "analyst", username="staff-analyst"))
    staff = client.get(reverse("cohort_report")).context["report"]
    assert _counts(staff, "destination")["Singapore"] == (4, 5.26)
    client.force_login(make_member(demo, "viewer", username="board-member"))
    shared = client.get(reverse("cohort_report")).context["report"]
    destinations = _counts(shared, "destination")
    assert destinations["Singapore"] == (None, None)
    assert destinations[None] == (None, None)
    assert destinations["Thailand"] == (28, 36.84)
    assert shared["sample"]["age"]["minimum"] is None  # the youngest person is one person
    assert shared["meta"]["disclosure"]["threshold"] == 5


def test_command_line_report_is_protected_unless_asked_for_internal(demo, tmp_path):
    out = tmp_path / "shared.json"
    call_command("report", "--format", "json", "--output", str(out), stderr=StringIO())
    shared = json.loads(out.read_text(encoding="utf-8"))
    assert _counts(shared, "destination")["Singapore"] == (None, None)
    call_command("report", "--format", "json", "--output", str(out), "--audience", "internal",
                 stderr=StringIO())
    assert _counts(json.loads(out.read_text()), "destination")["Singapore"] == (4, 5.26)
    call_command("report", "--format", "json", "--output", str(out), "--audience", "public",
                 stderr=StringIO())
    public = json.loads(out.read_text())
    assert public["meta"]["disclosure"]["threshold"] == 11
    assert _counts(public, "status")["just_escaped"] == (None, None)  # 6 < 11


def test_organisation_threshold_is_used_for_viewers(demo, client, make_member):
    demo.small_cell_threshold = 30
    demo.save()
    client.force_login(make_member(demo, "viewer", username="strict-viewer"))
    shared = client.get(reverse("cohort_report")).context["report"]
    assert _counts(shared, "destination")["China"] == (None, None)  # 24 < 30
    assert _counts(shared, "status")["returned"] == (65, 85.53)


def test_withdrawal_also_removes_the_person_from_exports(demo, tmp_path):
    from empower.web.people.models import Participant
    from empower.web.people.services import withdraw

    out = tmp_path / "export.json"
    call_command("report", "--format", "json", "--output", str(out), "--audience", "internal",
                 stderr=StringIO())
    assert json.loads(out.read_text())["sample"]["n"] == 76
    person = Participant.objects.filter(organisation=demo).first()
    withdraw(person, list(person.consents.get().decisions.all()))
    call_command("report", "--format", "json", "--output", str(out), "--audience", "internal",
                 stderr=StringIO())
    assert json.loads(out.read_text())["sample"]["n"] == 75


def test_the_count_of_people_assessed_with_two_versions_is_a_cell_like_any_other(demo):
    from empower.web.assessments.change import cohort_change

    staff = " ".join(cohort_change(demo, "internal")["notes"])
    count = int(staff.split(" participants were assessed with two instrument versions")[0]
                .split()[-1])
    assert count > 0
    demo.small_cell_threshold = count + 1  # now a small group for viewers
    demo.save()
    shared = " ".join(cohort_change(demo, "viewer")["notes"])
    assert "Some participants were assessed with two instrument versions" in shared
    assert f"{count} participants" not in shared
    assert f"{count} participants" in " ".join(cohort_change(demo, "internal")["notes"])
