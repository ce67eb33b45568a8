"""HTCDS v2.0 export: real field names and allowed values, read from the standard's own CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from empower.web.exports.files import make_export
from empower.web.exports.htcds import CODE_FIELD

pytestmark = pytest.mark.django_db

STANDARD = Path(__file__).resolve().parents[4] / "shared/standards/htcds"
if not STANDARD.is_dir():  # the repository may sit elsewhere than beside shared/
    STANDARD = Path("/work/shared/standards/htcds")


def _standard() -> dict[str, list[str]]:
    """Field name (with prefix) → its picklist value names (empty when not a picklist)."""
    with open(STANDARD / "htcds-field-standards-2.0.csv", encoding="utf-8") as file:
        fields = {}
        for row in csv.DictReader(file):
            name = row["Field Name including Prefix"].strip()
            if name:
                values = row["Value Names (if picklist)"]
                picklist = "Picklist" in row["Field Type"] and "ISO" not in values
                fields[name] = [v.strip() for v in values.splitlines() if v.strip()] \
                    if picklist else []
        return fields


def _read(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = content.decode("utf-8-sig")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return comments, list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def people(org_a, person):
    return [
        person(org_a, gender="female", exploitation_types=[
            "labour_trafficking", "cheated_job_seeker", "sex_trafficking"],
            destination_country="Thailand", year_of_birth=2000, region_of_origin="Khulna"),
        person(org_a, gender="another", exploitation_types=["forced_marriage"]),
        person(org_a, gender="", purposes=("own_reporting", "research")),  # no interview consent
    ]


def test_columns_are_htcds_fields_and_values_are_allowed(org_a, people):
    standard = _standard()
    comments, rows = _read(make_export(org_a, "htcds", "csv", "own_reporting").content)
    columns = list(rows[0])
    assert columns[0] == CODE_FIELD and CODE_FIELD not in standard
    assert set(columns[1:]) <= set(standard), set(columns[1:]) - set(standard)
    assert set(columns[1:]) == {"prs_Gender", "vic_TypeOfExploitation", "hte_Type",
                                "hte_Country", "con_Consent"}
    for row in rows:
        for column in columns[1:]:
            allowed = standard[column]
            for value in filter(None, row[column].split(";")):
                if allowed:
                    assert value in allowed, (column, value)
        assert row["con_Consent"] in ("true", "false")
    by_code = {r[CODE_FIELD]: r for r in rows}
    first, second, third = (by_code[p.code] for p in people)
    assert first["prs_Gender"] == "Feminine"
    assert first["vic_TypeOfExploitation"] == "ForcedLabour;Other;SexualExploitation"
    assert (first["hte_Type"], first["hte_Country"]) == ("Exploitation", "Thailand")
    assert first["con_Consent"] == "true"
    assert second["prs_Gender"] == "NonSpecifiedUnknown"
    assert second["vic_TypeOfExploitation"] == "ForcedMarriage"
    assert (second["hte_Type"], second["hte_Country"]) == ("", "")  # nothing recorded
    assert third["prs_Gender"] == "" and third["con_Consent"] == "false"
    assert len(comments) == 1
    assert "HTCDS" in comments[0] and "IOM" in comments[0] and "CC BY 4.0" in comments[0]
    assert "does not endorse" in comments[0]


def test_research_leaves_out_the_destination(org_a, people):
    _comments, rows = _read(make_export(org_a, "htcds", "csv", "research").content)
    assert set(rows[0]) == {CODE_FIELD, "prs_Gender", "vic_TypeOfExploitation", "con_Consent"}
    # threshold 5: one woman and one "unknown" are too few to be shown
    assert {r["prs_Gender"] for r in rows} == {""}


def test_xlsx_carries_the_attribution_in_a_notes_sheet(org_a, people):
    content = make_export(org_a, "htcds", "xlsx", "own_reporting").content
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["htcds", "variables", "notes"]
    header = next(workbook["htcds"].values)
    assert set(header[1:]) <= set(_standard())
    notes = " ".join(str(r[0]) for r in workbook["notes"].values)
    assert "Human Trafficking Case Data Standard (HTCDS)" in notes and "CC BY 4.0" in notes
