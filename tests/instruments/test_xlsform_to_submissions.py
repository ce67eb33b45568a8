"""The form Empower writes and the files Empower reads fit together.

Each bundled instrument is exported as an XLSForm and converted by pyxform; the submission
structure is then read off the XForm's own instance (its groups and field names, exactly as
KoboToolbox and ODK Central build their exports from it), a submission is filled in, flattened
the way Kobo's CSV (`/`) and ODK Central's CSV (`-`) join group paths, and read back by the
importer. Nothing here uses the importer's own idea of the names, so a group or field renamed on
one side only makes this fail.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from pyxform.xls2xform import convert

from empower.instruments import NOT_APPLICABLE, get_instrument, library, xlsform_bytes
from empower.instruments.submissions import interpret, read_submissions

XFORMS = "{http://www.w3.org/2002/xforms}"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
CODE = "P-7KQ4MX"


def _leaf_paths(key: str) -> list[tuple[str, ...]]:
    """Every field of the main submission (not inside a repeat), as its group path."""
    instrument_id, version = key.split("@")
    warnings: list[str] = []
    form = convert(xlsform_bytes(get_instrument(instrument_id, version), date(2026, 3, 1), 1),
                   warnings=warnings, file_type=".xlsx")
    assert warnings == []
    model_instance = ET.fromstring(form.xform).find(f".//{XFORMS}model/{XFORMS}instance")
    assert model_instance is not None
    (top,) = list(model_instance)
    paths: list[tuple[str, ...]] = []

    def walk(element: ET.Element, path: tuple[str, ...]) -> None:
        # A repeat is written as a template (marked jr:template) and may also have a first
        # entry; CSV exports put both in a file of their own.
        repeats = {child.tag for child in element if JR_TEMPLATE in child.attrib}
        for child in element:
            name = child.tag.removeprefix(XFORMS)
            if child.tag in repeats:
                continue
            if len(child):
                walk(child, (*path, name))
            else:
                paths.append((*path, name))

    walk(top, ())
    return paths


def _answer_for(instrument, name: str):
    """A valid answer for the field, as the phone stores it (text) and as Empower keeps it."""
    item = instrument.item(name)
    if item.kind == "text":
        return "words of my own", "words of my own"
    scale = instrument.scales[item.scale]
    value = scale.numeric_values()[-1] if item.kind != "effect" else NOT_APPLICABLE
    return str(value), value


def _submission(key: str, paths: list[tuple[str, ...]]):
    instrument = get_instrument(*key.split("@"))
    fixed = {
        "start": "2026-03-14T09:00:00.000+06:00", "end": "2026-03-14T09:40:00.000+06:00",
        "instrument": key, "participant_code": CODE, "conducted_on": "2026-03-14",
        "interview_language": "bn", "instanceID": "uuid:3f0c6a4e-1d2b-4c5e-9a7f-0b1c2d3e4f50",
    }
    row, answers, narratives = {}, {}, {}
    item_ids = {item.id for item in instrument.items}
    for path in paths:
        name = path[-1]
        if name in fixed:
            row[path] = fixed[name]
        else:
            assert name in item_ids, f"{'/'.join(path)} is neither a fixed field nor an item"
            text, kept = _answer_for(instrument, name)
            row[path] = text
            if instrument.item(name).kind == "text":
                narratives[name] = kept
            else:
                answers[name] = kept
    return row, answers, narratives


def _csv(header: list[str], values: list[str], delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerow(values)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("key", sorted(library()))
@pytest.mark.parametrize("tool", ["kobo", "odk"])
def test_a_submission_to_the_exported_form_imports(key, tool):
    paths = _leaf_paths(key)
    row, answers, narratives = _submission(key, paths)
    if tool == "kobo":
        # Kobo's CSV with "include groups in headers" and its own metadata columns.
        header = ["/".join(p) for p in paths] + ["_id", "_uuid", "_submission_time",
                                                  "__version__", "_index"]
        values = [*row.values(), "101", "3f0c6a4e-1d2b-4c5e-9a7f-0b1c2d3e4f50",
                  "2026-03-15T02:11:09", "vQ2xXkRzD4sGmBhq7uYxC9", "1"]
        data = _csv(header, values, ";")
    else:
        # ODK Central's CSV: group paths joined by "-", its metadata around the fields.
        header = ["SubmissionDate", *("-".join(p) for p in paths), "KEY", "SubmitterID",
                  "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
                  "ReviewState", "DeviceID", "Edits", "FormVersion"]
        values = ["2026-03-15T02:11:09.000Z", *row.values(),
                  "uuid:3f0c6a4e-1d2b-4c5e-9a7f-0b1c2d3e4f50", "7", "worker-1", "0", "0", "",
                  "", "collect:abc", "0", "2026030101"]
        data = _csv(header, values, ",")

    found = read_submissions(data, "export.csv", tool)
    reading = interpret(found, library(), today=date(2026, 3, 20))

    assert [str(p) for p in reading.problems if not p.warning] == []
    assert [str(p) for p in reading.problems if p.warning] == []  # no column went unrecognised
    (interview,) = reading.interviews
    assert [str(p) for p in interview.problems] == []
    assert interview.instrument_key == key
    assert interview.participant_code == CODE
    assert interview.conducted_on == date(2026, 3, 14)
    assert interview.language == "bn"
    assert interview.submission_id == "3f0c6a4e-1d2b-4c5e-9a7f-0b1c2d3e4f50"
    assert interview.answers == answers
    assert interview.narratives == narratives
