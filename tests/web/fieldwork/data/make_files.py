"""Writes the export files in this folder, shaped like real downloads from KoboToolbox and ODK
Central of the form Empower writes for ``empowerment-interview@2.0``.

Run it from the repository root to rebuild them: ``.venv/bin/python
tests/web/fieldwork/data/make_files.py``. The tests read the files, never this script, and check
them against values written out by hand in the tests.

Three interviews (the expected values are written out in ``tests/instruments/test_submissions.py``):

* P-7KQ4MX, Bengali, 2026-03-14, two services;
* P-3HW9TD, English, 2026-03-15, one service;
* P-N2C8RF, Burmese, 2026-03-16, no services.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
AXES = ("healing", "purpose", "inner_peace", "self_capacity")
FACTORS = ("family", "community", "rescue", "legal_process", "mental_health",
           "psychosocial_support", "work_and_finances", "ngo_services", "officials_and_police")
ITEMS = [("ladder", f"rating__{a}") for a in AXES] + [
    ("factors", name) for f in FACTORS
    for name in [*(f"effect__{f}__{a}" for a in AXES), f"note__{f}"]
]

UUIDS = ["5b8f0a3c-2d1e-4f6a-9b7c-3e2d1f0a9b8c", "a41c7e92-6f3b-4d85-8e1a-0c9b7d6e5f42",
         "e0d9c8b7-a6f5-4e3d-9c2b-1a0f9e8d7c6b"]

SUBMISSIONS = [
    {
        "start": "2026-03-14T09:58:12.431+06:00", "end": "2026-03-14T11:20:45.019+06:00",
        "participant_code": "P-7KQ4MX", "conducted_on": "2026-03-14", "interview_language": "bn",
        "rating__healing": "7", "rating__purpose": "5", "rating__inner_peace": "prefer_not_to_say",
        "rating__self_capacity": "8",
        "effect__family__healing": "2", "effect__family__purpose": "1",
        "effect__family__inner_peace": "0", "effect__family__self_capacity": "not_applicable",
        "note__family": "আমার মা আমাকে আবার ঘরে নিয়েছেন",
        "effect__community__healing": "-2", "effect__community__purpose": "-1",
        "effect__community__inner_peace": "prefer_not_to_say",
        "services": [
            {"service_type": "legal_aid", "provider_type": "ngo_cso", "respected_wishes": "yes",
             "conditions": "repeated_storytelling", "service_effect__healing": "1",
             "service_effect__purpose": "0", "service_effect__inner_peace": "-1",
             "service_effect__self_capacity": "not_applicable"},
            {"service_type": "vocational_training", "provider_type": "survivor_group",
             "respected_wishes": "no", "conditions": "conditions_attached pressure_to_participate",
             "service_effect__healing": "2", "service_effect__purpose": "2",
             "service_effect__inner_peace": "1", "service_effect__self_capacity": ""},
        ],
        "_submission_time": "2026-03-14T05:21:03", "_id": 412345678,
    },
    {
        "start": "2026-03-15T14:02:51.112+06:00", "end": "2026-03-15T15:31:09.870+06:00",
        "participant_code": "P-3HW9TD", "conducted_on": "2026-03-15", "interview_language": "en",
        "rating__healing": "4", "rating__purpose": "6", "rating__inner_peace": "5",
        "rating__self_capacity": "3",
        "effect__rescue__healing": "-1", "effect__rescue__inner_peace": "-2",
        "note__rescue": "The police came at night; I was afraid of them, not of the broker.",
        "services": [
            {"service_type": "shelter", "provider_type": "government",
             "respected_wishes": "prefer_not_to_say", "conditions": "",
             "service_effect__healing": "-1", "service_effect__purpose": "",
             "service_effect__inner_peace": "-2", "service_effect__self_capacity": "0"},
        ],
        "_submission_time": "2026-03-15T09:40:27", "_id": 412345702,
    },
    {
        "start": "2026-03-16T10:05:44.000+06:30", "end": "2026-03-16T11:12:30.000+06:30",
        "participant_code": "P-N2C8RF", "conducted_on": "2026-03-16", "interview_language": "my",
        "rating__healing": "10", "rating__purpose": "9", "rating__inner_peace": "8",
        "rating__self_capacity": "7",
        "effect__work_and_finances__self_capacity": "2",
        "services": [],
        "_submission_time": "2026-03-16T05:02:11", "_id": 412345733,
    },
]
INSTRUMENT = "empowerment-interview@2.0"
FORM_VERSION = "vGq5mZ8yHnX3aTzP7wR2cD"
HEAD = ["start", "end", "instrument", "participant_code", "conducted_on", "interview_language"]


def _main_values(n: int, s: dict, sep: str) -> dict[str, str]:
    values = {"start": s["start"], "end": s["end"], "instrument": INSTRUMENT}
    values |= {k: s[k] for k in HEAD[3:]}
    values |= {f"{group}{sep}{item}": s.get(item, "") for group, item in ITEMS}
    return values


def kobo_json() -> None:
    results = []
    for n, s in enumerate(SUBMISSIONS):
        record: dict = {"_id": s["_id"], "formhub/uuid": "7f2b0c1e9a4d4c3f8e2a1b5c6d7e8f90"}
        # Kobo's API leaves out questions that were not answered.
        record |= {k: v for k, v in _main_values(n, s, "/").items() if v}
        if s["services"]:
            record["services"] = [
                {f"services/{k}": v for k, v in service.items() if v}
                for service in s["services"]
            ]
        record |= {
            "__version__": FORM_VERSION, "meta/instanceID": f"uuid:{UUIDS[n]}",
            "meta/rootUuid": f"uuid:{UUIDS[n]}", "_xform_id_string": "aP7xKqVbN3mZ2wR8tY5uH4",
            "_uuid": UUIDS[n], "_attachments": [], "_status": "submitted_via_web",
            "_geolocation": [None, None], "_submission_time": s["_submission_time"],
            "_tags": [], "_notes": [], "_validation_status": {},
            "_submitted_by": "field_worker_1",
        }
        results.append(record)
    document = {"count": len(results), "next": None, "previous": None, "results": results}
    (HERE / "kobo_api_v2.json").write_text(json.dumps(document, ensure_ascii=False, indent=2),
                                           encoding="utf-8")


KOBO_TAIL = ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status",
             "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index"]


def _kobo_rows(sep: str = "/") -> tuple[list[str], list[list[str]]]:
    header = list(_main_values(0, SUBMISSIONS[0], sep)) + KOBO_TAIL
    rows = []
    for n, s in enumerate(SUBMISSIONS):
        values = list(_main_values(n, s, sep).values())
        values += [f"uuid:{UUIDS[n]}", str(s["_id"]), UUIDS[n], s["_submission_time"], "", "",
                   "submitted_via_web", "field_worker_1", FORM_VERSION, "", str(n + 1)]
        rows.append(values)
    return header, rows


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",",
         quoting: int = csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def kobo_csv() -> None:
    header, rows = _kobo_rows()
    # Kobo's CSV export: semicolons, every value quoted, UTF-8 without a byte-order mark.
    (HERE / "kobo_export.csv").write_bytes(
        _csv(header, rows, ";", csv.QUOTE_ALL).encode("utf-8"))
    # The same file after Excel: comma-separated UTF-8 with a byte-order mark ...
    (HERE / "kobo_excel_bom.csv").write_bytes(_csv(header, rows).encode("utf-8-sig"))
    # ... and saved as "Unicode text": UTF-16 with a byte-order mark, tab-separated.
    (HERE / "kobo_excel_unicode.txt").write_bytes(_csv(header, rows, "\t").encode("utf-16"))
    # An older Windows export: cp1252, with an accented note instead of the Bengali one.
    latin = [list(r) for r in rows[1:]]
    note = header.index("factors/note__rescue")
    latin[0][note] = "Le café à Penang gardait mon passeport – j’avais peur."
    (HERE / "kobo_cp1252.csv").write_bytes(_csv(header, latin, ";").encode("cp1252"))
    # Empty rows between submissions (someone deleted rows in a spreadsheet).
    blank = [""] * len(header)
    (HERE / "kobo_empty_rows.csv").write_bytes(
        _csv(header, [rows[0], blank, blank, rows[1], blank]).encode("utf-8"))
    # Columns the form does not have: someone added a column by hand; Kobo's
    # "_validation_status" stays metadata.
    extra = [*header, "interviewer_comment", "ladder/rating__confidence"]
    (HERE / "kobo_unknown_columns.csv").write_bytes(
        _csv(extra, [[*r, "long interview", "6"] for r in rows[:2]]).encode("utf-8"))
    # Wrong types: "seven" and 11 on a 1-10 ladder.
    wrong = [list(r) for r in rows[:2]]
    wrong[0][header.index("ladder/rating__healing")] = "seven"
    wrong[1][header.index("ladder/rating__purpose")] = "11"
    (HERE / "kobo_wrong_types.csv").write_bytes(_csv(header, wrong, ";").encode("utf-8"))
    # The same submission twice (two exports pasted together).
    (HERE / "kobo_duplicate_ids.csv").write_bytes(
        _csv(header, [rows[0], rows[1], rows[0]], ";").encode("utf-8"))
    # Required columns removed.
    drop = {header.index("participant_code"), header.index("_uuid"),
            header.index("meta/instanceID")}
    (HERE / "kobo_missing_columns.csv").write_bytes(_csv(
        [h for i, h in enumerate(header) if i not in drop],
        [[v for i, v in enumerate(r) if i not in drop] for r in rows], ";").encode("utf-8"))
    (HERE / "empty.csv").write_bytes(b"")
    # Not what they claim: a login page saved as .json, a CSV renamed .xlsx.
    (HERE / "not_json.json").write_text(
        "<!DOCTYPE html>\n<html><head><title>KoboToolbox</title></head>"
        "<body>Please log in</body></html>\n", encoding="utf-8")
    (HERE / "not_excel.xlsx").write_bytes(_csv(header, rows).encode("utf-8"))


def kobo_xlsx() -> None:
    header, rows = _kobo_rows()
    book = Workbook()
    main = book.active
    main.title = "Empowerment interview"
    main.append(header)
    for row in rows:
        # Kobo writes numbers as numbers in XLSX.
        main.append([int(v) if v.lstrip("-").isdigit() else (v or None) for v in row])
    sheet = book.create_sheet("services")
    fields = ["service_type", "provider_type", "respected_wishes", "conditions",
              *(f"service_effect__{a}" for a in AXES)]
    sheet.append([f"services/{f}" for f in fields] + [
        "_index", "_parent_table_name", "_parent_index", "_submission__id",
        "_submission__uuid", "_submission__submission_time", "_submission__validation_status",
        "_submission__notes", "_submission__status", "_submission__submitted_by",
        "_submission___version__", "_submission__tags"])
    index = 0
    for n, s in enumerate(SUBMISSIONS):
        for service in s["services"]:
            index += 1
            values = [service[f] or None for f in fields]
            values = [int(v) if v and v.lstrip("-").isdigit() else v for v in values]
            sheet.append([*values, index, "Empowerment interview", n + 1, s["_id"], UUIDS[n],
                          s["_submission_time"], None, None, "submitted_via_web",
                          "field_worker_1", FORM_VERSION, None])
    book.save(HERE / "kobo_export.xlsx")


def odk() -> None:
    header = ["SubmissionDate", *_main_values(0, SUBMISSIONS[0], "-"), "meta-instanceID",
              "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
              "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    rows = []
    for n, s in enumerate(SUBMISSIONS):
        rows.append([f"{s['_submission_time']}.000Z", *_main_values(n, s, "-").values(),
                     f"uuid:{UUIDS[n]}", f"uuid:{UUIDS[n]}", "7", "field-worker-1", "0", "0",
                     "", "", f"collect:Xy7{n}Qk2LmN8pR4sT", "0", "2.0"])
    main = _csv(header, rows)
    (HERE / "odk_central.csv").write_bytes(main.encode("utf-8"))
    fields = ["service_type", "provider_type", "respected_wishes", "conditions",
              *(f"service_effect__{a}" for a in AXES)]
    repeat_rows = []
    for n, s in enumerate(SUBMISSIONS):
        for k, service in enumerate(s["services"], start=1):
            repeat_rows.append([*(service[f] for f in fields), f"uuid:{UUIDS[n]}",
                                f"uuid:{UUIDS[n]}/services[{k}]"])
    repeat = _csv([*fields, "PARENT_KEY", "KEY"], repeat_rows)
    with zipfile.ZipFile(HERE / "odk_central.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("empowerment_interview.csv", main)
        archive.writestr("empowerment_interview-services.csv", repeat)


CONDITIONS = ("conditions_attached", "excessive_oversight", "pressure_to_participate",
              "paternalistic", "repeated_storytelling", "photos_without_consent", "none")


def odk_central_real() -> None:
    """ODK Central's zip as it downloads today (central-backend's ``streamBriefcaseCsvs``) for
    the form id Empower writes, ``empowerment-interview``, with "Split select multiple choices
    into columns" on: the repeat file has ``conditions`` and then ``conditions/<choice>`` (0 or
    1) for every choice. The first submission was edited in Central (``Edits`` 1, a new
    ``meta-instanceID``; ``KEY`` and ``PARENT_KEY`` keep the first id), the third was rejected
    by a reviewer, and the zip holds the ``media/`` folder of an export with attachments."""
    form = "empowerment-interview"
    header = ["SubmissionDate", *_main_values(0, SUBMISSIONS[0], "-"), "meta-instanceID",
              "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
              "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    edited = "uuid:9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
    states = ["edited", "approved", "rejected"]
    rows = []
    for n, s in enumerate(SUBMISSIONS):
        instance = edited if n == 0 else f"uuid:{UUIDS[n]}"
        rows.append([f"{s['_submission_time']}.000Z", *_main_values(n, s, "-").values(),
                     instance, f"uuid:{UUIDS[n]}", "7", "field-worker-1", "0", "0", "",
                     states[n], f"collect:Xy7{n}Qk2LmN8pR4sT", "1" if n == 0 else "0", "2.0"])
    fields = ["service_type", "provider_type", "respected_wishes", "conditions",
              *(f"conditions/{c}" for c in CONDITIONS),
              *(f"service_effect__{a}" for a in AXES)]
    repeat_rows = []
    for n, s in enumerate(SUBMISSIONS):
        for k, service in enumerate(s["services"], start=1):
            chosen = service["conditions"].split()
            repeat_rows.append([
                service["service_type"], service["provider_type"], service["respected_wishes"],
                service["conditions"], *("1" if c in chosen else "0" for c in CONDITIONS),
                *(service[f"service_effect__{a}"] for a in AXES),
                f"uuid:{UUIDS[n]}", f"uuid:{UUIDS[n]}/services[{k}]"])
    with zipfile.ZipFile(HERE / "odk_central_real.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{form}.csv", _csv(header, rows))
        archive.writestr(f"{form}-services.csv", _csv([*fields, "PARENT_KEY", "KEY"],
                                                        repeat_rows))
        archive.writestr("media/1718000000000.jpg", b"\xff\xd8\xff\xe0 not a real photo")


if __name__ == "__main__":
    kobo_json()
    kobo_csv()
    kobo_xlsx()
    odk()
    odk_central_real()
