"""Files a review hands on: decisions as CSV, tables as XLSX, PRISMA counts for the R package.

* :func:`decisions_csv` – every decision with its reviewer and time, one row per decision.
* :func:`study_characteristics_xlsx` and :func:`synthesis_xlsx` – the tables of a review
  report, as spreadsheets people can edit: bold header, frozen first row, widths fitted to the
  content, wrapped text.
* :func:`prisma_r_csv` – the flow-diagram counts in the input format of the PRISMA2020 R
  package and Shiny app (Haddaway et al. 2022, Campbell Systematic Reviews 18:e1230), for
  anyone who wants to draw or restyle the diagram there.

Text from bibliographic databases is untrusted: a title may start with ``=``. Spreadsheet
programs run such cells as formulas, so CSV cells starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return get a leading apostrophe (the usual guard against formula
injection), and XLSX cells are always written as text, never as formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from empower.evidence.prisma import PrismaCounts

# --------------------------------------------------------------------------------------------
# decisions


#: Columns of the decisions CSV, in order.
DECISION_COLUMNS = ("record_id", "title", "stage", "reviewer", "decision", "reason", "note",
                    "decided_at")
_REQUIRED = ("record_id", "stage", "reviewer", "decision", "decided_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def _defused(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _time(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def decisions_csv(decisions: Iterable[Mapping[str, Any]], *, bom: bool = True) -> str:
    """All decisions as CSV, one row per decision, in the order given.

    Each decision is a mapping with ``record_id``, ``stage``, ``reviewer``, ``decision`` and
    ``decided_at`` (required) and ``title``, ``reason``, ``note`` (optional); other keys are
    ignored. ``decided_at`` may be a datetime (written in ISO 8601, with its UTC offset when it
    has one) or text.

    The text starts with a byte-order mark unless ``bom=False``: Excel – what most
    organisations open a CSV with – reads UTF-8 without one as the local code page and garbles
    names and titles in other scripts, while Python (``encoding="utf-8-sig"``), pandas and
    LibreOffice read it either way. Encode the result with ``"utf-8"``, not ``"utf-8-sig"``,
    or the mark is doubled. Rows end in CRLF, as RFC 4180 says.

    Raises
    ------
    ValueError
        naming every decision (by position, from 1) that lacks a required field.

    Examples
    --------
    >>> print(decisions_csv([{"record_id": 7, "stage": "title_abstract", "reviewer": "ana",
    ...                       "decision": "exclude", "reason": "=not empirical",
    ...                       "decided_at": "2023-01-20T10:00:00+00:00"}], bom=False), end="")
    record_id,title,stage,reviewer,decision,reason,note,decided_at\r
    7,,title_abstract,ana,exclude,'=not empirical,,2023-01-20T10:00:00+00:00\r
    """
    rows = list(decisions)
    problems = [
        f"decision {position}: missing {', '.join(missing)}"
        for position, row in enumerate(rows, start=1)
        if (missing := [key for key in _REQUIRED if row.get(key) in (None, "")])
    ]
    if problems:
        raise ValueError("; ".join(problems))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(DECISION_COLUMNS)
    for row in rows:
        writer.writerow(
            [_time(row.get(key)) if key == "decided_at" else _defused(_text(row.get(key)))
             for key in DECISION_COLUMNS]
        )
    return (BOM if bom else "") + buffer.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(_text(item) for item in value)
    return str(value)


# --------------------------------------------------------------------------------------------
# spreadsheets

MIN_WIDTH = 8
MAX_WIDTH = 60


def _cell_value(value: Any) -> Any:
    """A value openpyxl can store: numbers and dates as they are, everything else as text."""
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()  # Excel has no time zones; keep the offset visible as text
    if isinstance(value, dt.date | dt.time):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", _text(value))


def _width(value: Any) -> int:
    if value is None:
        return 0
    return max((len(line) for line in str(value).splitlines()), default=0)


def _write_table(sheet: Worksheet, headings: Sequence[str],
                 rows: Iterable[Sequence[Any]]) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([_cell_value(h) for h in headings])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = wrap
    widths = [_width(h) for h in headings]
    for row in rows:
        values = [_cell_value(v) for v in row]
        sheet.append(values)
        for index, value in enumerate(values):
            widths[index] = max(widths[index], _width(value))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"


def _xlsx(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def study_characteristics_xlsx(rows: Sequence[Mapping[str, Any]],
                               columns: Sequence[tuple[str, str]]) -> bytes:
    """The study-characteristics table as an XLSX workbook (sheet "Study characteristics").

    ``columns`` lists ``(key, heading)`` pairs in the order the columns should appear; each row
    is a mapping from key to value. A missing key leaves the cell empty; lists are joined with
    "; ". Numbers and dates stay numbers and dates.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Study characteristics"
    _write_table(sheet, [heading for _, heading in columns],
                 ([row.get(key) for key, _ in columns] for row in rows))
    return _xlsx(workbook)


_THEME_KEYS = {"theme", "description", "findings"}


def synthesis_xlsx(themes: Sequence[Mapping[str, Any]],
                   studies: Sequence[str] | None = None) -> bytes:
    """The thematic synthesis table as an XLSX workbook (sheet "Synthesis").

    One row per theme, one column per study – as in a table comparing included studies theme
    by theme. Each theme is a mapping with ``theme`` (required), ``description`` (optional) and
    ``findings``: study → what that study says on the theme. Columns are: Theme, Description,
    one per study (in the order of ``studies``, or of first appearance), and "Studies (n)",
    the number of studies with a finding on the theme.

    Raises
    ------
    ValueError
        naming every theme without a name, with unknown keys, or with a finding for a study
        missing from ``studies``.
    """
    problems = []
    seen: list[str] = list(studies or [])
    for position, theme in enumerate(themes, start=1):
        if not str(theme.get("theme") or "").strip():
            problems.append(f"theme {position}: no name")
        if unknown := sorted(set(theme) - _THEME_KEYS):
            problems.append(f"theme {position}: unknown keys {', '.join(unknown)}")
        for study in theme.get("findings") or {}:
            if study not in seen:
                if studies is not None:
                    problems.append(f"theme {position}: study {study!r} is not in studies")
                else:
                    seen.append(study)
    if problems:
        raise ValueError("; ".join(problems))
    rows = []
    for theme in themes:
        findings = theme.get("findings") or {}
        cells = [findings.get(study) for study in seen]
        rows.append([theme["theme"], theme.get("description"), *cells,
                     sum(1 for cell in cells if _text(cell).strip())])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Synthesis"
    _write_table(sheet, ["Theme", "Description", *seen, "Studies (n)"], rows)
    return _xlsx(workbook)


# --------------------------------------------------------------------------------------------
# PRISMA2020 R package

#: The rows of ``inst/extdata/PRISMA.csv`` shipped with the PRISMA2020 R package (version
#: 0.0.3 of its repository), in its order and with its wording: (data, node, box, description,
#: boxtext, tooltips, url). "NA" and the empty node of ``organisation_results`` are as in that
#: file.
R_TEMPLATE: tuple[tuple[str, ...], ...] = (
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
     "Grey title box; Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review",
     "Studies included in previous version of review", "previous_studies.html"),
    ("previous_reports", "NA", "box1",
     "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review", "NA",
     "previous_reports.html"),
    ("NA", "node6", "newstud",
     "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers",
     "Yellow title box; Identification of new studies via databases and registers",
     "newstud.html"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
     "Records identified from: Databases and Registers", "database_results.html"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
     "Specific Databases", "NA", "database_results.html"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers", "NA",
     "NA"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
     "Specific Registers", "NA", "database_results.html"),
    ("NA", "node16", "othstud",
     "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods",
     "Grey title box; Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
     "Records identified from: Websites, Organisations and Citation Searching",
     "website_results.html"),
    ("organisation_results", "", "box11", "Records identified from: Organisations",
     "Organisations", "NA", "NA"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching",
     "Citation searching", "NA", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records",
     "Duplicate records", "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools", "NA", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons",
     "Records removed for other reasons", "NA", "NA"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)",
     "Records screened", "Records screened (databases and registers)",
     "records_screened.html"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)",
     "Records excluded", "Records excluded (databases and registers)",
     "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6",
     "Reports sought for retrieval (databases and registers)", "Reports sought for retrieval",
     "Reports sought for retrieval (databases and registers)", "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7",
     "Reports not retrieved (databases and registers)", "Reports not retrieved",
     "Reports not retrieved (databases and registers)", "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
     "Reports sought for retrieval", "Reports sought for retrieval (other)",
     "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)",
     "Reports not retrieved", "Reports not retrieved (other)",
     "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8",
     "Reports assessed for eligibility (databases and registers)",
     "Reports assessed for eligibility",
     "Reports assessed for eligibility (databases and registers)", "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9",
     "Reports excluded (databases and registers): [separate reasons and numbers using ; e.g. "
     "Reason1, xxx; Reason2, xxx; Reason3, xxx]",
     "Reports excluded", "Reports excluded (databases and registers)",
     "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (other)",
     "other_assessed.html"),
    ("other_excluded", "node21", "box15",
     "Reports excluded (other): [separate reasons and numbers using ; e.g. Reason1, xxx; "
     "Reason2, xxx; Reason3, xxx]",
     "Reports excluded", "Reports excluded (other)", "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review",
     "New studies included in review", "New studies included in review", "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies",
     "Reports of new included studies", "NA", "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review",
     "Total studies included in review", "Total studies included in review",
     "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies",
     "Reports of total included studies", "NA", "NA"),
    ("identification", "node1", "identification", "Blue identification box", "Identification",
     "Blue identification box", "identification.html"),
    ("screening", "node2", "screening", "Blue screening box", "Screening",
     "Blue screening box", "screening.html"),
    ("included", "node3", "included", "Blue included box", "Included", "Blue included box",
     "included.html"),
)
#: Rows for a meta-analysis box that later versions of the package read. Their wording is
#: taken from later copies of the template, not from the package's own file, so it is less
#: certain; they are written only on request (``meta_analysis_rows=True``).
R_META_ANALYSIS: tuple[tuple[str, ...], ...] = (
    ("total_studies_ma", "node23", "box17", "Total studies included in meta-analysis",
     "Total studies included in meta-analysis", "Total studies included in meta-analysis",
     "total_studies_meta_analysis.html"),
    ("total_reports_ma", "NA", "box17", "Reports of total included studies in meta-analysis",
     "Reports of total included studies in meta-analysis", "NA", "NA"),
)
R_COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")

#: Which R row an other-methods source belongs to, by its name (compared in lower case).
R_OTHER_ROWS = {
    "website": "website_results", "websites": "website_results",
    "organisation": "organisation_results", "organisations": "organisation_results",
    "organization": "organisation_results", "organizations": "organisation_results",
    "citation searching": "citations_results", "citations": "citations_results",
}


def _r_name(name: str) -> str:
    # The package splits "Name, n; Name, n" at ";" and takes the name up to the first ",".
    return " ".join(name.replace(";", " - ").replace(",", " -").split())


def _r_list(counts: Mapping[str, int]) -> str:
    return "; ".join(f"{_r_name(name)}, {n}" for name, n in counts.items())


def prisma_r_csv(counts: PrismaCounts, other_rows: Mapping[str, str] | None = None, *,
                 meta_analysis_rows: bool = False) -> str:
    """The flow-diagram counts as the input CSV of the PRISMA2020 R package and Shiny app.

    Rows, columns and wording are those of the package's template (``PRISMA.csv``); only ``n``
    is filled in. Counts are plain integers. ``database_specific_results``,
    ``register_specific_results`` and the exclusion rows hold "Name, n; Name, n" as the
    package expects; as it splits on ";" and ",", those signs inside names become " - ".
    No previous review is recorded, so the previous-studies rows are 0 and the totals equal
    the new studies and reports.

    The package has one row each for websites, organisations and citation searching. Other-
    methods sources named "Websites", "Organisations"/"Organizations" or "Citation searching"
    (any case, singular or plural) go to their row; map any other source name with
    ``other_rows`` (source → ``"website_results"``, ``"organisation_results"`` or
    ``"citations_results"``).

    Later versions of the package also read ``total_studies_ma`` and ``total_reports_ma``
    (a box for studies in a meta-analysis). The decision log does not record meta-analyses, so
    these rows are left out – the newest versions then use 0 with a warning – unless
    ``meta_analysis_rows=True``, which appends them with n = 0 for versions that need them.

    Raises
    ------
    ValueError
        when an other-methods source has no row, naming it.
    """
    mapping = {name.lower(): row for name, row in R_OTHER_ROWS.items()}
    mapping |= {name.lower(): row for name, row in (other_rows or {}).items()}
    valid = set(R_OTHER_ROWS.values())
    other = dict.fromkeys(sorted(valid), 0)
    unmapped = []
    for source, found in counts.other_sources.items():
        target = mapping.get(source.strip().lower())
        if target not in valid:
            unmapped.append(source)
            continue
        other[target] += found
    if unmapped:
        raise ValueError(
            "the PRISMA2020 R template has rows only for websites, organisations and citation "
            f"searching; say which row these sources belong to: {', '.join(unmapped)}"
        )
    c = counts
    values: dict[str, int | str] = {
        "previous_studies": 0,
        "previous_reports": 0,
        "database_results": c.databases_total,
        "database_specific_results": _r_list(c.databases),
        "register_results": c.registers_total,
        "register_specific_results": _r_list(c.registers),
        **other,
        "duplicates": c.duplicates,
        "excluded_automatic": c.automation,
        "excluded_other": c.removed_other,
        "records_screened": c.records_screened,
        "records_excluded": c.records_excluded,
        "dbr_sought_reports": c.dbr_sought,
        "dbr_notretrieved_reports": c.dbr_not_retrieved,
        "other_sought_reports": c.other_sought,
        "other_notretrieved_reports": c.other_not_retrieved,
        "dbr_assessed": c.dbr_assessed,
        "dbr_excluded": _r_list(c.dbr_excluded) or 0,
        "other_assessed": c.other_assessed,
        "other_excluded": _r_list(c.other_excluded) or 0,
        "new_studies": c.studies_included,
        "new_reports": c.reports_included,
        "total_studies": c.studies_included,
        "total_reports": c.reports_included,
    }
    buffer = io.StringIO()
    # No byte-order mark: R's read.csv would take it into the first column's name.
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(R_COLUMNS)
    rows = R_TEMPLATE + (R_META_ANALYSIS if meta_analysis_rows else ())
    for template_row in rows:
        data = template_row[0]
        writer.writerow([*template_row, values.get(data, 0) if data != "NA" else 0])
    return buffer.getvalue()
