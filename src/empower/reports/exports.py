"""Export tables and the files they are written to: CSV, XLSX, SPSS .sav and HXL-tagged CSV.

Pure Python (no Django), so an analyst can build a :class:`Table` in a notebook and write it
exactly as the site does. What goes *into* a table — who is included, which fields an audience
may see — is decided by the web layer (``empower.web.exports``); this module only writes.

A table is a list of :class:`Variable` (name, English label, kind, value labels, the words that
stand for a deliberate non-answer) and rows of plain values keyed by variable name. Answers
keep the words Empower stores for a deliberate non-answer (``prefer_not_to_say``,
``not_applicable``) in CSV and XLSX, so that nobody averages them by mistake; in SPSS they
become the numeric codes :data:`MISSING_CODES`, declared as user-missing values.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from empower.instruments.model import NOT_APPLICABLE, PREFER_NOT_TO_SAY
from empower.metrics.privacy import safe_range

#: SPSS codes for the words Empower stores when a question was deliberately not answered.
#: Negative, far outside every response scale, and declared missing in the .sav file so that
#: SPSS leaves them out of every statistic while still telling them apart from a skipped item.
MISSING_CODES: dict[str, tuple[int, str]] = {
    PREFER_NOT_TO_SAY: (-99, "Prefer not to say"),
    NOT_APPLICABLE: (-98, "Does not apply"),
}

#: An HXL hashtag with its attributes (HXL 1.1 tagging conventions, section 4): ``#`` and a
#: name of letters, digits and underscores starting with a letter, then any number of
#: attributes ``+name`` of the same form; whitespace between the parts is allowed.
HXL_TAG = re.compile(r"^\s*#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*\s*$", re.IGNORECASE)

#: SPSS keeps variable labels up to this many bytes, value labels up to 120, the file label
#: up to 64 and document lines up to 80 (IBM SPSS Statistics, "System files" limits).
SPSS_LABEL_BYTES = 255
SPSS_VALUE_LABEL_BYTES = 120
SPSS_FILE_LABEL_BYTES = 64
SPSS_DOCUMENT_LINE = 80
#: SPSS variable names: at most 64 bytes, a letter first, then letters, digits, ``_`` or
#: ``.``; not one of the reserved keywords; case-insensitive (``Age`` and ``AGE`` are one name).
SPSS_NAME_BYTES = 64
SPSS_RESERVED = frozenset(
    {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
)

#: Characters that make a spreadsheet treat a cell as a formula (OWASP, "CSV Injection"):
#: equals, plus, minus, at, tab, carriage return and line feed, and their full-width forms,
#: which some spreadsheet programs also accept.
FORMULA_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
#: A plain number written as text ("-2", "+1.5") is data, not a formula: it is left as it is
#: so that effects (−2 … +2) stay numbers when the file is opened.
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")

Kind = Literal["string", "number", "date"]


@dataclass(frozen=True)
class Variable:
    """One column of an export.

    ``value_labels`` maps numeric codes to their meaning (1 → "1 – not at all"); ``missing``
    lists the stored words that mean a deliberate non-answer (see :data:`MISSING_CODES`).
    ``hxl`` is the column's HXL hashtag, for aggregate tables.
    """

    name: str
    label: str
    kind: Kind = "string"
    value_labels: dict[int, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    measure: Literal["nominal", "ordinal", "scale", "unknown"] = "unknown"
    hxl: str = ""
    description: str = ""
    #: for a variable whose values are words from a fixed list (a service type, a provider):
    #: each word's numeric code, used in SPSS (with the word's label as value label); CSV and
    #: XLSX keep the word. ``value_labels`` then maps those codes to the labels.
    word_codes: dict[str, int] = field(default_factory=dict)


@dataclass
class Table:
    """Rows of one export with the description of their variables and notes for the reader."""

    name: str
    title: str
    variables: list[Variable]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def column_names(self) -> list[str]:
        return [v.name for v in self.variables]


# --------------------------------------------------------------------------------------------
# cells


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def neutralise_formula(text: str) -> str:
    """Text that a spreadsheet will show as text, never run as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break is taken by Excel
    and LibreOffice as a formula (or a DDE call) when a CSV file is opened, so a region of
    origin typed as ``=HYPERLINK(...)`` could send data away or run a command. As OWASP
    advises, such text gets a leading apostrophe, which spreadsheets read as "this is text".
    A plain number written as text is left alone: it is data, and stays a number.

    >>> neutralise_formula("=1+1"), neutralise_formula("-2"), neutralise_formula("Khulna")
    ("'=1+1", '-2', 'Khulna')
    """
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _text_cell(value: Any) -> str:
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(neutralise_formula(str(v)) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)  # a number, never a formula, even when negative
    return neutralise_formula(str(value))


def _sheet_cell(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return value


def _as_text_cell(cell: Any) -> None:
    """Keep a text cell text: openpyxl stores any string starting with ``=`` as a formula,
    which Excel would run. The cell is stored as a string with Excel's own "quote prefix"
    flag (what typing an apostrophe first does), so it stays text even when edited; the
    value itself is unchanged."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


# --------------------------------------------------------------------------------------------
# CSV


def write_csv(table: Table, comments: Sequence[str] = ()) -> bytes:
    """The table as CSV: a header row of variable names, then one row per record.

    Written as UTF-8 *with* a byte-order mark: Excel, which most partner organisations open
    CSV files with, reads a file without one in the computer's legacy code page, which turns
    Bengali and Burmese text into unreadable characters. Other tools (pandas, R, LibreOffice)
    recognise and skip the mark.

    ``comments`` are written first, each on its own line starting with ``#`` (used for the
    attribution a standard's licence asks for); readers skip them with e.g.
    ``pandas.read_csv(..., comment="#")``.

    Every field is quoted and text that a spreadsheet would run as a formula is neutralised
    (:func:`neutralise_formula`): quoting keeps a ``;`` inside text from splitting the cell
    where Excel uses ``;`` as the list separator.
    """
    buffer = io.StringIO(newline="")
    for comment in comments:
        buffer.write(f"# {comment}\r\n")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(table.column_names())
    for row in table.rows:
        writer.writerow([_text_cell(row.get(v.name)) for v in table.variables])
    return buffer.getvalue().encode("utf-8-sig")


def write_hxl_csv(table: Table) -> bytes:
    """The table as HXL-tagged CSV: a row of human-readable headers, the hashtag row, data.

    Every variable must carry a valid hashtag (:data:`HXL_TAG`). Suppressed cells are empty.
    UTF-8 with a byte-order mark, for the reason given in :func:`write_csv`.
    """
    for variable in table.variables:
        if not is_hxl_tag(variable.hxl):
            raise ValueError(f"column {variable.name!r} has no valid HXL hashtag: "
                             f"{variable.hxl!r}")
    buffer = io.StringIO(newline="")
    # minimal quoting keeps the hashtag row plain for HXL tools; the cells are totals and
    # labels of Empower's own, still neutralised in case an instrument's label starts with "="
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_formula(v.label) for v in table.variables])
    writer.writerow([v.hxl for v in table.variables])
    for row in table.rows:
        writer.writerow([_text_cell(row.get(v.name)) for v in table.variables])
    return buffer.getvalue().encode("utf-8-sig")


def is_hxl_tag(text: str) -> bool:
    """Whether ``text`` is a syntactically valid HXL hashtag with attributes.

    >>> is_hxl_tag("#affected +num"), is_hxl_tag("#meta+version"), is_hxl_tag("affected")
    (True, True, False)
    """
    return bool(text) and HXL_TAG.match(text) is not None


# --------------------------------------------------------------------------------------------
# XLSX


def _value_label_text(variable: Variable) -> str:
    if variable.word_codes:
        parts = [f"{word} = {variable.value_labels.get(code, word)} (SPSS {code})"
                 for word, code in variable.word_codes.items()]
    else:
        parts = [f"{code} = {label}" for code, label in variable.value_labels.items()]
    parts += [f"{word} = {MISSING_CODES[word][1]}" for word in variable.missing]
    return "; ".join(parts)


def write_xlsx(table: Table) -> bytes:
    """The table as an Excel workbook.

    Sheet 1 holds the data (header row of variable names); sheet 2, ``variables``, describes
    each variable (label, kind, value labels, the words for a deliberate non-answer and, for
    aggregate tables, the HXL hashtag; and the variable's name in the SPSS file, which differs
    when the name breaks SPSS's rules, see :func:`spss_names`); sheet 3, ``notes``, holds the
    notes (who is included, what was withheld, attribution), when there are any. Text that
    starts like a formula is stored as text (:func:`_as_text_cell`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    data = workbook.active
    data.title = table.name[:31]
    data.append(table.column_names())
    for cell in data[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        data.append([_sheet_cell(row.get(v.name)) for v in table.variables])
    data.freeze_panes = "A2"

    variables = workbook.create_sheet("variables")
    variables.append(["variable", "label", "type", "values", "HXL hashtag", "notes",
                      "SPSS name"])
    for cell in variables[1]:
        cell.font = Font(bold=True)
    in_spss = spss_names(table.column_names())
    for v in table.variables:
        variables.append([v.name, v.label, v.kind, _value_label_text(v), v.hxl or None,
                          v.description or None, in_spss[v.name]])
    if table.notes:
        notes = workbook.create_sheet("notes")
        notes.append([table.title])
        notes["A1"].font = Font(bold=True)
        for note in table.notes:
            notes.append([note])
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                _as_text_cell(cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# SPSS


def _spss_label(text: str, limit: int = SPSS_LABEL_BYTES) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", errors="ignore").rstrip() + "..."


def _spss_document(notes: Sequence[str]) -> list[str]:
    """Notes as the lines of an SPSS document record, which holds lines of 80 bytes."""
    lines: list[str] = []
    for note in notes:
        lines += textwrap.wrap(note, width=SPSS_DOCUMENT_LINE // 3 if not note.isascii()
                               else SPSS_DOCUMENT_LINE)
    return lines


def spss_names(names: Sequence[str]) -> dict[str, str]:
    """Each export column's name in an SPSS file.

    SPSS wants at most 64 bytes, a letter first, then letters, digits, ``_`` or ``.``, no
    reserved keyword (``ALL``, ``BY``, ``TO`` …) and no two names that differ only in case.
    Names that already follow the rules (every name Empower writes today, such as
    ``effect__family__healing``) are kept; others have each forbidden character replaced by
    ``_``, get a ``v_`` in front when they do not start with a letter or are a keyword, are
    shortened, and get ``_2``, ``_3`` … when they would clash with another name. The
    ``variables`` sheet of the XLSX file and the SPSS file's document list the mapping.

    >>> names = spss_names(["effect__family__healing", "all", "1st", "a b", "A_B"])
    >>> list(names.values())
    ['effect__family__healing', 'v_all', 'v_1st', 'a_b', 'A_B_2']
    """
    taken: set[str] = set()
    mapped: dict[str, str] = {}
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_.]", "_", name).rstrip(".") or "v"
        if not base[0].isalpha() or base.upper() in SPSS_RESERVED:
            base = "v_" + base
        candidate, number = base[:SPSS_NAME_BYTES], 1
        while candidate.upper() in taken:
            number += 1
            suffix = f"_{number}"
            candidate = base[: SPSS_NAME_BYTES - len(suffix)] + suffix
        taken.add(candidate.upper())
        mapped[name] = candidate
    return mapped


def _spss_number(value: Any, variable: Variable) -> float:
    if _missing(value):
        return math.nan
    if isinstance(value, str):
        if value in variable.missing:
            return float(MISSING_CODES[value][0])
        if value in variable.word_codes:
            return float(variable.word_codes[value])
        raise ValueError(f"variable {variable.name!r}: {value!r} is not a number")
    return float(value)


def _spss_date(value: Any) -> date | None:
    """A calendar date: pyreadstat writes ``datetime.date`` as an SPSS DATE variable
    (a date-time would become DATETIME, which shows a meaningless 00:00:00)."""
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def write_sav(table: Table) -> bytes:
    """The table as an SPSS .sav file (through pyreadstat).

    Variable labels are the English labels (question text); value labels are written for
    coded answers, and the words for a deliberate non-answer become the codes of
    :data:`MISSING_CODES`, labelled and declared as user-missing values so that SPSS does not
    count them as answers. Words from a fixed list (``word_codes``) become their numeric codes
    with the words' labels as value labels. Skipped questions are system-missing. Dates are
    SPSS dates (DATE11). Column names that break SPSS's naming rules are renamed
    (:func:`spss_names`) and the renaming is listed in the file's document. Text is UTF-8; its
    width is counted in bytes, so Bengali and Burmese text is never cut.
    """
    import pandas as pd
    import pyreadstat

    names = spss_names(table.column_names())
    columns: dict[str, Any] = {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[int | float, str]] = {}
    missing_ranges: dict[str, list[Any]] = {}
    measures: dict[str, str] = {}
    for v in table.variables:
        name = names[v.name]
        raw = [row.get(v.name) for row in table.rows]
        numeric = v.kind == "number" or bool(v.word_codes)
        if numeric:
            columns[name] = pd.Series([_spss_number(x, v) for x in raw], dtype="float64")
            codes: dict[int | float, str] = {
                float(k): _spss_label(lab, SPSS_VALUE_LABEL_BYTES)
                for k, lab in v.value_labels.items()
            }
            for word in v.missing:
                code, lab = MISSING_CODES[word]
                codes[float(code)] = lab
            if codes:
                value_labels[name] = codes
            if v.missing:
                missing_ranges[name] = [float(MISSING_CODES[w][0]) for w in v.missing]
        elif v.kind == "date":
            columns[name] = pd.Series([_spss_date(x) for x in raw], dtype="object")
        else:
            # value labels belong to numeric variables only: a string variable carries none
            columns[name] = pd.Series([_text_cell(x) for x in raw], dtype="object")
        labels[name] = _spss_label(v.label)
        if v.measure != "unknown":
            measures[name] = v.measure
    frame = pd.DataFrame(columns, columns=[names[v.name] for v in table.variables])
    renamed = [f"{original} is {name} in this file" for original, name in names.items()
               if original != name]
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(
            frame, path, file_label=_spss_label(table.title, SPSS_FILE_LABEL_BYTES),
            column_labels=labels,
            variable_value_labels=value_labels or None, missing_ranges=missing_ranges or None,
            variable_measure=measures or None,
            note=_spss_document([*table.notes, *renamed]) or None,
        )
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


# --------------------------------------------------------------------------------------------
# coarsening quasi-identifiers for outside readers


def age_bands(ages: Sequence[int | None], threshold: int, width: int = 5) -> list[str | None]:
    """Ages recoded into bands that each hold at least ``threshold`` people.

    The ends are bottom- and top-coded as in the cohort report
    (:func:`empower.metrics.privacy.safe_range`): everyone younger than ``younger_than`` is
    "under Y", everyone at or above ``at_least`` is "A or older", the rest fall into
    ``width``-year bands ("25-29"). A band that still holds fewer than ``threshold`` people is
    blanked (local suppression, Hundepool et al. 2012). When fewer than ``threshold`` ages are
    known, or the two ends overlap (most people of similar age), every age is blanked.

    Examples
    --------
    >>> bands = age_bands([18, 19, 21, 22, 23, 26, 27, 28, 29, 30, 41, 45, 47, 48, 49], 3)
    >>> bands[0], bands[5], bands[9], bands[10], bands[11]
    ('under 25', '25-29', None, None, '45 or older')
    """
    known = [a for a in ages if a is not None]
    ends = safe_range(known, threshold, width)
    if ends is None or ends.younger_than > ends.at_least:
        return [None] * len(ages)
    bands: list[str | None] = []
    for age in ages:
        if age is None:
            bands.append(None)
        elif age < ends.younger_than:
            bands.append(f"under {ends.younger_than}")
        elif age >= ends.at_least:
            bands.append(f"{ends.at_least} or older")
        else:
            low = width * (age // width)
            bands.append(f"{low}-{low + width - 1}")
    return rare_to_blank(bands, threshold)


def rare_to_blank(values: Iterable[Any], threshold: int) -> list[Any]:
    """Blank every value held by fewer than ``threshold`` records (local suppression).

    >>> rare_to_blank(["f", "m", "f", "x", "m", "f"], 2)
    ['f', 'm', 'f', None, 'm', 'f']
    """
    values = list(values)
    counts = Counter(v for v in values if not _missing(v))
    return [None if _missing(v) or counts[v] < threshold else v for v in values]
