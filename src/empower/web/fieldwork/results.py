"""A dry run kept as plain data, so that the page of an upload shows it without checking the
file again.

Checking a large file takes time and memory; reloading its page must not repeat that. The
result is stored in ``PendingImport.result`` (encrypted: it names participants and quotes
cells). Messages are kept untranslated — the English template and its values, or the name of
one of the import's own messages — and rendered when the page is shown, in the language of
whoever reads it. Messages the site rendered already (a validation error of the interview
form) are kept as the text they were.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise

from empower.i18n import Text
from empower.instruments.submissions import Reading, RowProblem, SubmissionFile

from .imports import MESSAGES, ImportOutcome, RowOutcome

#: Bumped when the stored form changes: an older result is then checked again.
VERSION = 1


def to_json(outcome: ImportOutcome) -> dict[str, Any]:
    """What the page of a dry run needs, as JSON."""
    file = outcome.file
    return {
        "version": VERSION,
        "file": {"source": file.source, "format": file.format,
                 "source_guessed": file.source_guessed},
        "notes": [_message(n) for n in outcome.notes],
        "warnings": [_problem(p) for p in outcome.warnings],
        "problems": [_problem(p) for p in outcome.problems],
        "rows": [{"row": r.row, "participant_code": r.participant_code,
                  "instrument_key": r.instrument_key, "status": r.status, "reason": r.reason,
                  "note": _message(r.note), "problems": [_problem(p) for p in r.problems]}
                 for r in outcome.rows],
        "dry_run": outcome.dry_run,
        "digest": outcome.digest,
    }


def from_json(data: dict[str, Any]) -> ImportOutcome | None:
    """The outcome stored by :func:`to_json`; ``None`` when nothing (usable) is stored."""
    if not data or data.get("version") != VERSION:
        return None
    file = SubmissionFile(source=data["file"]["source"], format=data["file"]["format"],
                          source_guessed=data["file"]["source_guessed"])
    reading = Reading(file, [], [_text(n) for n in data["notes"]],
                      [_row_problem(p) for p in data["warnings"]])
    rows = [RowOutcome(r["row"], r["participant_code"], r["instrument_key"], r["status"],
                       note=_text(r["note"]), reason=r["reason"],
                       problems=[_row_problem(p) for p in r["problems"]])
            for r in data["rows"]]
    return ImportOutcome(reading, rows, dry_run=data["dry_run"], digest=data["digest"],
                         problems=[_row_problem(p) for p in data["problems"]])


# ---- messages

_NAMES = {id(message): name for name, message in MESSAGES.items()}


def _message(value: Any) -> Any:
    """A message as JSON, still to be translated where it can be."""
    if isinstance(value, Text):
        return {"template": value.template, "plural": value.plural, "number": value.number,
                "params": {k: _message(v) for k, v in value.params.items()}}
    if isinstance(value, Promise):
        name = _NAMES.get(id(value))
        return {"name": name} if name else str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _text(value: Any) -> Any:
    if isinstance(value, dict) and "name" in value:
        return MESSAGES[value["name"]]
    if isinstance(value, dict) and "template" in value:
        return Text(value["template"], {k: _text(v) for k, v in value["params"].items()},
                    plural=value["plural"], number=value["number"])
    return value


def _problem(problem: RowProblem) -> dict[str, Any]:
    return {"row": problem.row, "column": problem.column, "text": _message(problem.text),
            "sheet": problem.sheet, "warning": problem.warning}


def _row_problem(data: dict[str, Any]) -> RowProblem:
    return RowProblem(data["row"], data["column"], _text(data["text"]), sheet=data["sheet"],
                      warning=data["warning"])
