"""Importing XLSForms that Empower did not write: plain Kobo forms and broken workbooks."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pyxform.xls2xform import convert

from empower.instruments import InstrumentError, score
from empower.instruments.xlsform import read_xlsform, xlsform_bytes

LABEL = "label::English (en)"


def workbook(survey: list[list], choices: list[list] | None = None,
             settings: list[list] | None = None, **extra: list[list]) -> bytes:
    """An .xlsx file from rows; the first row of each sheet is its header."""
    book = openpyxl.Workbook()
    book.active.title = "survey"
    for row in survey:
        book["survey"].append(row)
    for name, rows in (("choices", choices), ("settings", settings), *extra.items()):
        if rows is not None:
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def kobo_form(label: str = LABEL, settings: list[list] | None = None, **extra) -> bytes:
    """A small form as a Kobo user writes it: groups, select_one, text, an integer."""
    survey = [
        ["type", "name", label, "required"],
        ["start", "start", None, None],                      # row 2
        ["begin_group", "about", "About you", None],         # row 3
        ["select_one yn", "q1", "Do you feel safe at home?", "true"],   # row 4
        ["select_one agree", "q3", "I can decide for myself.", None],   # row 5
        ["integer", "age", "Age", None],                     # row 6
        ["end_group", None, None, None],
        ["text", "q2", "Anything else?", None],              # row 8
    ]
    choices = [
        ["list_name", "name", label],
        ["yn", "yes", "Yes"], ["yn", "no", "No"],
        ["agree", "1", "Disagree"], ["agree", "2", "Neutral"], ["agree", "3", "Agree"],
        ["agree", "prefer_not_to_say", "Prefer not to say"],
    ]
    if settings is None:
        settings = [["form_title", "form_id", "version"], ["Check-in", "check-in", "2026050101"]]
    return workbook(survey, choices, settings, **extra)


def messages(error: InstrumentError) -> list[str]:
    return [str(p) for p in error.problems]


def test_the_test_form_is_a_real_xlsform():
    warnings: list[str] = []
    convert(kobo_form(), warnings=warnings, file_type=".xlsx")
    assert warnings == []


def test_a_plain_form_imports_with_notes_on_what_is_missing():
    result = read_xlsform(kobo_form(), "check-in.xlsx")
    instrument = result.instrument
    assert (instrument.id, instrument.version, instrument.kind) == ("check-in", "2026050101",
                                                                    "scales")
    assert instrument.title == {"en": "Check-in"}
    assert instrument.languages == ("en",)
    assert [(i.id, i.kind, i.scale, i.section, i.required) for i in instrument.items] == [
        ("q1", "choice", "yn", "about", True),
        ("q3", "choice", "agree", "about", False),
        ("q2", "text", None, "", False),
    ]
    agree = instrument.scales["agree"]
    assert [o.value for o in agree.options] == [1, 2, 3]
    assert (agree.minimum, agree.maximum, agree.prefer_not_to_say) == (1, 3, True)
    assert instrument.scales["yn"].prefer_not_to_say is False
    notes = [str(n) for n in result.notes]
    assert "survey row 4 (q1): no axis — this question will be recorded but not scored" in notes
    assert "survey row 5 (q3): no axis — this question will be recorded but not scored" in notes
    assert ("survey row 6 (age): type 'integer' has no place in an Empower instrument; "
            "this field is left out") in notes
    assert any(n.startswith("empower_axes: no axes") for n in notes)
    assert any(n.startswith("survey: no 'participant_code' field") for n in notes)
    assert any(n.startswith("survey: no 'instrument' calculate field") for n in notes)
    assert not result.from_empower
    # Usable: answers are accepted (and score nothing, as the notes say).
    assert score(instrument, {"q1": "yes", "q3": 2}).axis_scores == {}


def test_a_plain_form_exports_again_with_the_fixed_fields():
    instrument = read_xlsform(kobo_form()).instrument
    warnings: list[str] = []
    xform = convert(xlsform_bytes(instrument), warnings=warnings, file_type=".xlsx").xform
    assert warnings == []
    assert "calculate=\"'check-in@2026050101'\"" in xform
    assert "/data/about/q1" in xform and "/data/participant_code" in xform
    assert read_xlsform(xlsform_bytes(instrument)).instrument == instrument


def test_a_bare_label_column_is_read_as_english_with_a_note():
    result = read_xlsform(kobo_form(label="label"))
    assert result.instrument.languages == ("en",)
    assert any("the label column names no language; read as English (en)" in str(n)
               for n in result.notes)


def test_default_language_from_settings():
    settings = [["form_id", "version", "default_language"], ["check-in", "1.0", "Bengali (bn)"]]
    result = read_xlsform(kobo_form(label="label", settings=settings))
    assert result.instrument.languages == ("bn",)
    assert result.instrument.item("q1").text == {"bn": "Do you feel safe at home?"}


def test_axes_added_by_hand_make_questions_scored():
    form = workbook(
        [["type", "name", LABEL, "empower::axis"],
         ["select_one ladder", "peace", "How calm do you feel today?", "inner_peace"]],
        [["list_name", "name", LABEL]] + [["ladder", str(v), str(v)] for v in range(1, 11)],
        [["form_id", "version"], ["calm", "1.0"]],
        empower_axes=[["id", LABEL], ["inner_peace", "Inner peace"]],
    )
    result = read_xlsform(form)
    item = result.instrument.item("peace")
    assert (item.kind, item.axis) == ("rating", "inner_peace")
    assert not any("no axis" in str(n) for n in result.notes)
    # 7 on a 1–10 ladder: 100 · (7 − 1) / 9 = 66.67
    assert round(score(result.instrument, {"peace": 7}).axis_scores["inner_peace"].score, 2) == (
        66.67)


def test_no_version_is_an_error():
    settings = [["form_title", "form_id"], ["Check-in", "check-in"]]
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(kobo_form(settings=settings), "form.xlsx")
    assert ("settings: no instrument version: settings.version is missing (and there is no "
            "'instrument' calculate field)") in messages(caught.value)
    assert str(caught.value).startswith("form.xlsx: 1 problem")


def test_missing_survey_sheet():
    wb = openpyxl.load_workbook(io.BytesIO(workbook([["list_name", "name", "label"]])))
    wb["survey"].title = "questions"
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(buffer.getvalue())
    assert messages(caught.value) == ["workbook: has no 'survey' sheet (sheets found: questions)"]


def test_duplicate_names_and_unknown_choice_lists_name_row_and_column():
    form = workbook(
        [["type", "name", LABEL],
         ["select_one yn", "q1", "First"],
         ["text", "q2", "Second"],
         ["text", "q1", "Again"],
         ["select_one colours", "q4", "Colour"]],
        [["list_name", "name", LABEL], ["yn", "yes", "Yes"], ["yn", "Yes", "Yes again"]],
        [["form_id", "version"], ["f", "1"]],
    )
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(form)
    found = messages(caught.value)
    assert "survey row 4 (q1), column name: the name 'q1' is already used on row 2" in found
    assert ("survey row 5 (q4), column type: unknown choice list 'colours': it is not on the "
            "choices sheet") in found
    assert any(m.startswith("choices row 3 (yn/Yes), column name: 'Yes' cannot be stored")
               for m in found)


def test_unknown_axis_is_reported_on_the_survey_row():
    form = workbook(
        [["type", "name", LABEL, "empower::axis"],
         ["select_one yn", "q1", "First", "healng"]],
        [["list_name", "name", LABEL], ["yn", "1", "Yes"], ["yn", "2", "No"]],
        [["form_id", "version"], ["f", "1"]],
        empower_axes=[["id", LABEL], ["healing", "Healing"]],
    )
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(form)
    assert any(m.startswith("survey row 2 (q1), column empower::axis: unknown axis 'healng'")
               for m in messages(caught.value))


def test_reserved_names_must_keep_their_type():
    form = workbook([["type", "name", LABEL], ["integer", "participant_code", "Code"]],
                    None, [["form_id", "version"], ["f", "1"]])
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(form)
    assert messages(caught.value) == [
        "survey row 2 (participant_code), column type: 'participant_code' is a field name "
        "Empower reserves; its type must be text, not integer"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"type,name,label\ntext,q1,Q\n", "x.xlsx: is not an .xlsx workbook"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "x.xlsx: is an old Excel 97–2003 (.xls) file"),
        (b"PK\x03\x04broken", "x.xlsx: is not an .xlsx workbook that can be read"),
    ],
)
def test_not_a_workbook(data, expected):
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(data, "x.xlsx")
    assert expected in str(caught.value)


def test_unbalanced_groups():
    form = workbook([["type", "name", LABEL], ["begin_group", "g", "G"], ["text", "q1", "Q"]],
                    None, [["form_id", "version"], ["f", "1"]])
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(form)
    assert messages(caught.value) == [
        "survey row 2 (g), column type: begin_group 'g' has no matching end_group"]


def test_skip_logic_and_missing_labels_are_noted_not_kept():
    form = workbook(
        [["type", "name", LABEL, "relevant"],
         ["select_one yn", "q1", "Safe?", None],
         ["text", "q4", "Why not?", "${q1} = 'no'"]],
        [["list_name", "name", LABEL], ["yn", "yes", "Yes"], ["yn", "maybe", None]],
        [["form_id", "version"], ["f", "1"]],
    )
    result = read_xlsform(form)
    notes = [str(n) for n in result.notes]
    assert ("survey row 3 (q4), column relevant: '${q1} = 'no'' is not kept: an Empower "
            "instrument has no relevant rules, so it is not exported again") in notes
    assert "choices row 3 (yn/maybe): no label in English (en); the name 'maybe' is used" in notes
    assert [o.label for o in result.instrument.scales["yn"].options] == [
        {"en": "Yes"}, {"en": "maybe"}]
