"""The services dataset: one row per service per assessment, against hand-made rows."""

from __future__ import annotations

import csv
import io
import math

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from empower.web.audit.models import AuditEntry
from empower.web.exports.files import NothingToExport, make_export
from empower.web.people.services import withdraw

from .conftest import BASELINE, FOLLOW_UP, ladder, research

pytestmark = pytest.mark.django_db

CONDITIONS = ["conditions_attached", "excessive_oversight", "pressure_to_participate",
              "paternalistic", "repeated_storytelling", "photos_without_consent", "none"]
SHELTER = {"service_type": "shelter", "provider_type": "ngo_cso", "respected_wishes": False,
           "conditions": ["repeated_storytelling", "photos_without_consent"],
           "effects": {"healing": -2, "purpose": "not_applicable", "inner_peace": -1,
                       "self_capacity": None}}
TRAINING = {"service_type": "vocational_training", "provider_type": "survivor_group",
            "respected_wishes": True, "conditions": ["none"],
            "effects": {"healing": 1, "purpose": 2, "inner_peace": 0,
                        "self_capacity": "prefer_not_to_say"}}
LEGAL = {"service_type": "legal_aid", "provider_type": "police", "respected_wishes": None,
         "conditions": []}


@pytest.fixture
def served(org_a, org_b, person, interview):
    """Ana: two services at baseline, one at follow-up. Ben: no services. Cai: one service,
    consent to own reporting only. Dee (other organisation): one service."""
    ana = person(org_a)
    interview(ana, ladder(5), services=[SHELTER, TRAINING])
    interview(ana, ladder(6), on=FOLLOW_UP, services=[LEGAL])
    ben = person(org_a)
    interview(ben, ladder(4))
    cai = person(org_a, purposes=("interview", "own_reporting"))
    interview(cai, ladder(7), services=[TRAINING])
    dee = person(org_b)
    interview(dee, ladder(3), services=[SHELTER])
    return ana, ben, cai, dee


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _expected(code: str, on, number: int, service: dict) -> dict[str, str]:
    """A CSV row worked out by hand from a stored service."""
    row = {
        "participant": code, "conducted_on": on.isoformat(),
        "instrument_id": "empowerment-interview", "instrument_version": "2.0",
        "service_number": str(number), "service_type": service["service_type"],
        "provider_type": service["provider_type"],
        "respected_wishes": {True: "1", False: "0", None: ""}[service["respected_wishes"]],
    }
    for condition in CONDITIONS:
        row[f"condition__{condition}"] = "1" if condition in service["conditions"] else "0"
    for axis in ("healing", "purpose", "inner_peace", "self_capacity"):
        value = service.get("effects", {}).get(axis)
        row[f"effect__{axis}"] = "" if value is None else str(value)
    return row


def test_csv_rows_for_own_staff(org_a, served):
    ana, _ben, cai, _dee = served
    rows = _rows(make_export(org_a, "services", "csv", "own_reporting").content)
    expected = [
        _expected(ana.code, BASELINE, 1, SHELTER),
        _expected(ana.code, BASELINE, 2, TRAINING),
        _expected(ana.code, FOLLOW_UP, 1, LEGAL),
        _expected(cai.code, BASELINE, 1, TRAINING),
    ]
    assert sorted(rows, key=lambda r: (r["participant"], r["conducted_on"],
                                       r["service_number"])) == sorted(
        expected, key=lambda r: (r["participant"], r["conducted_on"], r["service_number"]))
    # by hand, the first row in full
    shelter = next(r for r in rows if r["service_type"] == "shelter")
    assert shelter["respected_wishes"] == "0"
    assert shelter["condition__repeated_storytelling"] == "1"
    assert shelter["condition__photos_without_consent"] == "1"
    assert shelter["condition__conditions_attached"] == "0"
    assert shelter["effect__healing"] == "-2"
    assert shelter["effect__purpose"] == "not_applicable"
    assert shelter["effect__self_capacity"] == ""


def test_research_rows_carry_the_research_code_and_need_research_consent(org_a, served):
    ana, _ben, _cai, _dee = served
    rows = _rows(make_export(org_a, "services", "csv", "research").content)
    assert {r["participant"] for r in rows} == {research(ana)}
    assert len(rows) == 3
    assert ana.code not in make_export(org_a, "services", "csv", "research").content.decode()
    withdraw(ana, [ana.consents.get().decisions.get(purpose="research")])
    with pytest.raises(NothingToExport):
        make_export(org_a, "services", "csv", "research")


def test_sav_has_codes_value_labels_and_declared_missing(org_a, served, tmp_path):
    path = tmp_path / "services.sav"
    path.write_bytes(make_export(org_a, "services", "sav", "own_reporting").content)
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    labels = meta.variable_value_labels
    # codes follow the instrument's lists: shelter is the 7th service type, NGO the 1st provider
    assert labels["service_type"][7] == "Shelter"
    assert labels["service_type"][3] == "Vocational training"
    assert labels["provider_type"][1] == "NGO or community organisation"
    assert labels["provider_type"][4] == "Survivor group"
    assert labels["respected_wishes"] == {1: "Yes", 0: "No"}
    assert labels["effect__healing"] == {
        -2: "−2 strongly disempowering", -1: "−1 somewhat disempowering", 0: "0 no effect",
        1: "+1 somewhat empowering", 2: "+2 strongly empowering",
        -99: "Prefer not to say", -98: "Does not apply"}
    assert {"lo": -98.0, "hi": -98.0} in meta.missing_ranges["effect__purpose"]
    assert meta.original_variable_types["conducted_on"].startswith("DATE")
    shelter = frame[frame["service_type"] == 7].iloc[0]
    assert shelter["provider_type"] == 1 and shelter["respected_wishes"] == 0
    assert shelter["effect__healing"] == -2 and shelter["effect__purpose"] == -98
    assert math.isnan(shelter["effect__self_capacity"])
    assert shelter["condition__repeated_storytelling"] == 1
    training = frame[(frame["service_type"] == 3) & (frame["participant"] == served[0].code)]
    assert training.iloc[0]["effect__self_capacity"] == -99
    legal = frame[frame["service_type"] == 5].iloc[0]
    assert math.isnan(legal["respected_wishes"]) and legal["condition__none"] == 0
    # pandas reads it too, with the labels
    read = pd.read_spss(str(path))
    assert set(read["service_type"]) == {"Shelter", "Vocational training",
                                         "Legal information and aid"}


def test_xlsx_lists_the_words_and_their_codes(org_a, served):
    workbook = openpyxl.load_workbook(io.BytesIO(
        make_export(org_a, "services", "xlsx", "own_reporting").content))
    assert workbook.sheetnames == ["services", "variables", "notes"]
    variables = {r[0]: r for r in list(workbook["variables"].values)[1:]}
    assert "shelter = Shelter (SPSS 7)" in variables["service_type"][3]
    data = list(workbook["services"].values)
    assert "shelter" in [dict(zip(data[0], r, strict=True))["service_type"] for r in data[1:]]


def test_nothing_to_export_without_services(org_a, person, interview):
    interview(person(org_a), ladder(5))
    with pytest.raises(NothingToExport):
        make_export(org_a, "services", "sav", "own_reporting")


def test_command_writes_and_audits(org_a, served, tmp_path):
    out = tmp_path / "services.csv"
    call_command("export", "services", "--organisation", "org-a", "--format", "csv",
                 "--purpose", "research", "--output", str(out))
    assert len(_rows(out.read_bytes())) == 3
    entry = AuditEntry.objects.get(action="export")
    assert entry.target_id == "services"
    assert entry.detail == {"format": "csv", "purpose": "research", "rows": 3,
                            "audience": "external", "to": "file"}
    with pytest.raises(CommandError) as refused:
        call_command("export", "services", "--organisation", "org-a", "--format", "hxl",
                     "--purpose", "research", "--output", str(tmp_path / "x"))
    assert refused.value.returncode == 2


def test_page_download_isolation_and_roles(login, org_a, served):
    form = {"dataset": "services", "format": "csv", "purpose": "own_reporting"}
    response = login(org_a, "analyst").post(reverse("export_records"), form)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    ana, _ben, cai, dee = served
    assert ana.code in text and cai.code in text
    assert dee.code not in text  # the other organisation's service never appears
    assert AuditEntry.objects.get(action="export").detail["rows"] == 4
    for role in ("interviewer", "viewer"):
        client = login(org_a, role)
        assert client.post(reverse("export_records"), form).status_code == 403
    assert AuditEntry.objects.filter(action="export").count() == 1
