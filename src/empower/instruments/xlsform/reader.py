"""Reading an XLSForm workbook back as an instrument, with notes on what it lacks.

Every problem names sheet, row and column; see ``docs/xlsform.md`` for the messages.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from empower.instruments.loader import (
    ID_PATTERN,
    ITEM_KINDS,
    KINDS,
    LANGUAGE_PATTERN,
    METHODS,
    SENSITIVITIES,
    VERSION_PATTERN,
    InstrumentError,
    Problem,
    dump_instrument,
    load_instrument_text,
)
from empower.instruments.model import (
    PREFER_NOT_TO_SAY,
    Axis,
    Factor,
    Instrument,
    Item,
    ItemKind,
    Option,
    ResponseScale,
    Scoring,
    ServiceBlock,
    Subscale,
    Texts,
)
from empower.instruments.xlsform.names import (
    AXES_SHEET,
    CODE_IN_HEADER,
    CONDITIONS,
    CONDUCTED_ON,
    END,
    FACTORS_SHEET,
    FIXED_FIELDS,
    INSTRUMENT_CALCULATION,
    INSTRUMENT_FIELD,
    INSTRUMENT_SHEET,
    INT_PATTERN,
    INTERVIEW_LANGUAGE,
    LANGUAGE_NAMES,
    PARTICIPANT_CODE,
    PROVIDER_TYPE,
    SCALES_SHEET,
    SERVICE_EFFECT_PREFIX,
    SERVICE_TYPE,
    SERVICES,
    START,
    SUBSCALES_SHEET,
    TEXT_VALUE_COLUMN,
    language_column,
)

# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class XLSFormImport:
    """An instrument read from an XLSForm, with notes on what it lacks for scoring.

    Notes do not stop the instrument from being used: a question without an axis is recorded
    but not scored, a form without settings gets Empower's fixed fields on its next export.
    """

    instrument: Instrument
    notes: tuple[Problem, ...] = ()
    #: True when the workbook carries Empower's own sheets (it was exported by Empower).
    from_empower: bool = False


def read_xlsform(source: str | Path | bytes | IO[bytes], name: str | None = None) -> XLSFormImport:
    """Read an XLSForm workbook (a path, the file's bytes or a binary stream).

    Raises :class:`InstrumentError` listing every problem, each naming sheet, row and column.
    """
    if isinstance(source, (str, Path)):
        name = name or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            problem = Problem("", f"cannot be read: {error.strerror}")
            raise InstrumentError([problem], name) from None
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    name = name or "<workbook>"
    book = _open_workbook(data, name)
    return _Importer(book, name).read()


def _open_workbook(data: bytes, name: str) -> dict[str, _Sheet]:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise InstrumentError(
            [Problem("", "is an old Excel 97–2003 (.xls) file: open it and save it as .xlsx")],
            name,
        )
    if not data.startswith(b"PK"):
        raise InstrumentError([Problem("", "is not an .xlsx workbook")], name)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InstrumentError(
            [Problem("", f"is not an .xlsx workbook that can be read ({error})")], name
        ) from None
    try:
        return {ws.title.strip().lower(): _Sheet.read(ws) for ws in book.worksheets}
    finally:
        book.close()


@dataclass
class _Sheet:
    """One sheet: its header and its non-empty rows, each with its spreadsheet row number."""

    name: str
    columns: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    duplicate_columns: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, ws: Any) -> _Sheet:
        raw_rows = ws.iter_rows(values_only=True)
        header_cells = next(raw_rows, ())
        columns: list[str] = []
        duplicates: list[str] = []
        for cell in header_cells:
            column = _column_key(cell)
            if column and column in columns:
                duplicates.append(column)
            columns.append(column)
        rows = []
        for number, cells in enumerate(raw_rows, start=2):
            values = {
                c: v
                for c, v in zip(columns, (_cell(x) for x in cells), strict=False)
                if c and v is not None
            }
            if values:
                rows.append((number, values))
        return cls(ws.title, columns, rows, duplicates)

    def language_columns(self, base: str) -> list[str]:
        return [c for c in self.columns if c == base or c.startswith(base + "::")]


def _column_key(cell: Any) -> str:
    """``Label::English (en)`` → ``label::English (en)``: the base lowercased, the language kept."""
    if cell is None:
        return ""
    text = str(cell).strip()
    if "::" in text:
        base, language = text.split("::", 1)
        return f"{base.strip().lower()}::{language.strip()}"
    return text.lower()


def _cell(value: Any) -> Any:
    """Cell values as text, numbers typed into a spreadsheet (``1``, ``1.0``) as ``"1"``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _where(sheet: str, row: int | None = None, name: str | None = None,
           column: str | None = None) -> str:
    where = sheet
    if row is not None:
        where += f" row {row}"
    if name:
        where += f" ({name})"
    if column:
        where += f", column {column}"
    return where


def _yes(value: Any) -> bool | None:
    """XLSForm yes/no cells; ``None`` for anything else."""
    text = str(value or "").strip().lower()
    if text in ("", "no", "false", "false()", "0", "n"):
        return False
    if text in ("yes", "true", "true()", "1", "y"):
        return True
    return None


_METADATA_TYPES = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
    "username", "email", "audit", "start-geopoint", "background-audio", "imei", "uri:deviceid",
}


@dataclass
class _Question:
    """A survey row that becomes an item, before the instrument is assembled."""

    row: int
    id: str
    kind: ItemKind
    text: Texts
    scale: str | None
    axis: str | None
    factor: str | None
    subscale: str | None
    reverse: bool
    required: bool
    sensitivity: str
    section: str


class _Importer:
    """Reads the sheets of a workbook into an instrument, collecting problems and notes."""

    def __init__(self, book: dict[str, _Sheet], name: str) -> None:
        self.book, self.name = book, name
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []
        self.languages: list[str] = []
        self.default_language = ""
        self.lists: dict[str, list[tuple[int, Option]]] = {}
        self.list_rows: dict[str, int] = {}
        self.calculated: tuple[str, str] | None = None
        self.seen_fields: set[str] = set()
        self.services: ServiceBlock | None = None
        self.item_rows: dict[str, int] = {}
        self.services_row = 0
        self.service_effects: set[str] = set()

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def note(self, where: str, message: str) -> None:
        self.notes.append(Problem(where, message))

    def fail(self) -> InstrumentError:
        return InstrumentError(list(dict.fromkeys(self.problems)), self.name)

    # ---- the whole workbook

    def read(self) -> XLSFormImport:
        survey = self.book.get("survey")
        if survey is None:
            found = ", ".join(s.name for s in self.book.values()) or "none"
            self.problem("workbook", f"has no 'survey' sheet (sheets found: {found})")
            raise self.fail()
        for sheet in self.book.values():
            for column in sheet.duplicate_columns:
                self.problem(_where(sheet.name, 1, column=column), "this column appears twice")
        for required in ("type", "name"):
            if required not in survey.columns:
                self.problem(_where("survey", 1), f"has no '{required}' column")
        if self.problems:
            raise self.fail()
        settings = self.settings()
        self.read_languages(survey, settings)
        self.read_choices()
        questions = self.read_survey(survey)
        from_empower = INSTRUMENT_SHEET in self.book
        instrument = self.assemble(settings, questions)
        if self.problems or instrument is None:
            raise self.fail()
        instrument = self.check(instrument)
        if not from_empower:
            self.plain_notes(instrument, questions)
        return XLSFormImport(instrument, tuple(dict.fromkeys(self.notes)), from_empower)

    def settings(self) -> dict[str, str]:
        sheet = self.book.get("settings")
        if sheet is None or not sheet.rows:
            self.note("settings", "there is no settings sheet (or it is empty)")
            return {}
        if len(sheet.rows) > 1:
            self.note(_where("settings", sheet.rows[1][0]), "only the first settings row is read")
        return {k: str(v) for k, v in sheet.rows[0][1].items()}

    # ---- languages

    def language_of(self, sheet: str, column: str) -> str | None:
        """The language code of a text column, or ``None`` (reported) when it cannot be told."""
        if "::" not in column:
            return self.default_language
        language = column.split("::", 1)[1]
        code = _language_code(language)
        if code is None:
            self.problem(
                _where(sheet, 1, column=column),
                f"cannot tell the language code of '{language}'; "
                f"write it like {column.split('::')[0]}::{language} (xx) with its code",
            )
        return code

    def read_languages(self, survey: _Sheet, settings: dict[str, str]) -> None:
        """Languages in the order of the label columns, the form's default language first."""
        default = settings.get("default_language")
        if default:
            code = _language_code(default)
            if code is None:
                self.problem(
                    _where("settings", 2, column="default_language"),
                    f"cannot tell the language code of '{default}'; write it like English (en)",
                )
            self.default_language = code or "en"
        labels = survey.language_columns("label")
        if not labels:
            self.problem(_where("survey", 1), "has no label column (label or label::English (en))")
            return
        if "label" in labels and not default:
            named = {_language_code(c.split("::", 1)[1]) for c in labels if "::" in c}
            self.default_language = "en"
            if "en" in named:
                self.problem(
                    _where("survey", 1, column="label"),
                    "a label column without a language beside label::…(en); "
                    "set settings.default_language to say which language it is",
                )
            else:
                self.note(
                    _where("survey", 1, column="label"),
                    "the label column names no language; read as English (en) — set "
                    "settings.default_language (e.g. Bengali (bn)) if it is another",
                )
        codes = [self.language_of("survey", c) for c in labels]
        self.languages = list(dict.fromkeys(c for c in codes if c))
        if self.default_language in self.languages:
            self.languages.remove(self.default_language)
            self.languages.insert(0, self.default_language)
        elif default and self.languages:
            self.problem(
                _where("settings", 2, column="default_language"),
                f"'{default}' has no label column on the survey sheet",
            )
        for code in self.languages:
            if not LANGUAGE_PATTERN.match(code):
                self.problem(_where("survey", 1), f"'{code}' is not a language code such as en")

    def texts(self, sheet: _Sheet, values: dict[str, Any], base: str) -> Texts:
        texts: Texts = {}
        for column in sheet.language_columns(base):
            code = self.language_of(sheet.name, column) if "::" in column else self.default_language
            if code and values.get(column):
                texts.setdefault(code, str(values[column]))
        return {code: texts[code] for code in self.languages if code in texts}

    # ---- choices

    def read_choices(self) -> None:
        sheet = self.book.get("choices")
        if sheet is None:
            return
        for column in ("list_name", "name"):
            if column not in sheet.columns:
                self.problem(_where("choices", 1), f"has no '{column}' column")
                return
        first = self.languages[0] if self.languages else "en"
        for row, values in sheet.rows:
            list_name, raw = values.get("list_name"), values.get("name")
            if list_name is None and raw is None:
                continue
            if list_name is None or raw is None:
                missing = "list_name" if list_name is None else "name"
                self.problem(_where("choices", row, column=missing), "is empty")
                continue
            list_name, raw = str(list_name), str(raw)
            self.list_rows.setdefault(list_name, row)
            options = self.lists.setdefault(list_name, [])
            where = _where("choices", row, f"{list_name}/{raw}", "name")
            if any(str(o.value) == raw for _, o in options) or (
                raw == PREFER_NOT_TO_SAY and any(o.value == raw for _, o in options)
            ):
                self.problem(where, f"'{raw}' is already a choice of list '{list_name}'")
                continue
            as_text = _yes(values.get(TEXT_VALUE_COLUMN))
            value: int | str = int(raw) if INT_PATTERN.match(raw) and not as_text else raw
            if isinstance(value, str) and not ID_PATTERN.match(value):
                self.problem(
                    where,
                    f"'{raw}' cannot be stored as an answer: use lowercase letters, digits, "
                    "'-' or '_' (such as yes, no, option_1)",
                )
                continue
            label = self.texts(sheet, values, "label")
            if first not in label:
                self.note(
                    _where("choices", row, f"{list_name}/{raw}"),
                    f"no label in {language_column(first)}; the name '{raw}' is used",
                )
                label = {first: raw, **label}
            options.append((row, Option(value, label)))

    def scale(self, list_name: str, minimum: Any = None, maximum: Any = None) -> ResponseScale:
        """The response scale made from a choice list; 'prefer not to say' becomes a flag."""
        entries = [o for _, o in self.lists.get(list_name, [])]
        options = tuple(o for o in entries if o.value != PREFER_NOT_TO_SAY)
        numeric = [o.value for o in options if isinstance(o.value, int)]
        low = int(minimum) if minimum is not None else min(numeric, default=0)
        high = int(maximum) if maximum is not None else max(numeric, default=0)
        return ResponseScale(
            id=list_name,
            options=options,
            minimum=low,
            maximum=high,
            prefer_not_to_say=len(options) < len(entries),
        )

    # ---- survey

    def read_survey(self, survey: _Sheet) -> list[_Question]:
        questions: list[_Question] = []
        first_row: dict[str, int] = {}
        stack: list[tuple[str, str, str, int]] = []  # (kind, name, section, row)
        skipped_repeats: set[str] = set()
        services_rows: list[tuple[int, dict[str, Any]]] = []
        for row, values in survey.rows:
            kind = re.sub(r"\s+", " ", str(values.get("type") or "")).strip().lower()
            name = str(values.get("name") or "")
            if not kind:
                if name:
                    self.problem(_where("survey", row, name, "type"), "the type is empty")
                continue
            words = kind.replace("begin group", "begin_group").replace(
                "end group", "end_group").replace("begin repeat", "begin_repeat").replace(
                "end repeat", "end_repeat").split(" ")
            head = words[0]
            if head in ("end_group", "end_repeat"):
                if not stack or stack[-1][0] != head[4:]:
                    self.problem(_where("survey", row, column="type"),
                                 f"'{head}' without a matching begin_{head[4:]}")
                else:
                    stack.pop()
                continue
            if not name:
                self.problem(_where("survey", row, column="name"),
                             f"a '{kind}' row needs a name")
                continue
            if name in first_row:
                self.problem(_where("survey", row, name, "name"),
                             f"the name '{name}' is already used on row {first_row[name]}")
                continue
            first_row[name] = row
            if head in ("begin_group", "begin_repeat"):
                section = str(values.get("empower::section") or name)
                stack.append((head[6:], name, section, row))
                if head == "begin_repeat" and name == SERVICES:
                    self.services_row = row
                continue
            in_repeat = [s for s in stack if s[0] == "repeat"]
            if in_repeat and in_repeat[0][1] == SERVICES and len(in_repeat) == 1:
                services_rows.append((row, values))
                continue
            if in_repeat:
                repeat = in_repeat[-1]
                if repeat[1] not in skipped_repeats:
                    skipped_repeats.add(repeat[1])
                    self.note(_where("survey", repeat[3], repeat[1]),
                              "a repeat other than 'services' is not kept: an Empower "
                              "instrument asks each question once")
                continue
            section = next((s[2] for s in reversed(stack) if s[0] == "group"), "")
            question = self.question(row, name, words, values, section, survey)
            if question is not None:
                questions.append(question)
        for kind, name, _section, row in stack:
            self.problem(_where("survey", row, name, "type"),
                         f"begin_{kind} '{name}' has no matching end_{kind}")
        self.services = self.read_services(services_rows)
        return questions

    def question(
        self, row: int, name: str, words: list[str], values: dict[str, Any], section: str,
        survey: _Sheet,
    ) -> _Question | None:
        """A survey row as a question, or ``None`` for fields an instrument does not keep."""
        head = words[0]
        if name in FIXED_FIELDS:
            self.fixed_field(row, name, head, values)
            return None
        if head in _METADATA_TYPES:
            return None
        if head not in ("select_one", "text"):
            self.note(_where("survey", row, name),
                      f"type '{' '.join(words)}' has no place in an Empower instrument; "
                      "this field is left out")
            return None
        where = _where("survey", row, name)
        if not ID_PATTERN.match(name):
            self.problem(_where("survey", row, name, "name"),
                         "a question name must be lowercase letters, digits, '-' or '_' "
                         "(it is the id answers are stored under)")
            return None
        scale = None
        if head == "select_one":
            if len(words) < 2:
                self.problem(_where("survey", row, name, "type"),
                             "select_one needs the name of its choice list")
                return None
            scale = words[1]
            if len(words) > 2:
                self.note(where, f"'{' '.join(words[2:])}' after the list name is ignored")
            if scale not in self.lists:
                lists = "no choices sheet" if "choices" not in self.book else (
                    "it is not on the choices sheet")
                self.problem(_where("survey", row, name, "type"),
                             f"unknown choice list '{scale}': {lists}")
                return None
        for column in ("relevant", "constraint", "calculation", "choice_filter"):
            if values.get(column):
                self.note(_where("survey", row, name, column),
                          f"'{values[column]}' is not kept: an Empower instrument has no "
                          f"{column.replace('_', ' ')} rules, so it is not exported again")
        text = self.texts(survey, values, "label")
        first = self.languages[0] if self.languages else "en"
        if first not in text:
            self.note(where, f"no label in {language_column(first)}; the name is used")
            text = {first: name, **text}
        kind = self.item_kind(row, name, head, values)
        if kind is None:
            return None
        required = _yes(values.get("required"))
        if required is None:
            self.note(_where("survey", row, name, "required"),
                      f"'{values.get('required')}' is read as not required")
        reverse = _yes(values.get("empower::reverse"))
        if reverse is None:
            self.problem(_where("survey", row, name, "empower::reverse"),
                         "must be yes or no")
        sensitivity = str(values.get("empower::sensitivity") or "sensitive")
        if sensitivity not in SENSITIVITIES:
            self.problem(_where("survey", row, name, "empower::sensitivity"),
                         f"must be one of {', '.join(SENSITIVITIES)}")
        self.item_rows[name] = row
        return _Question(
            row=row,
            id=name,
            kind=kind,
            text=text,
            scale=scale,
            axis=_text(values.get("empower::axis")),
            factor=_text(values.get("empower::factor")),
            subscale=_text(values.get("empower::subscale")),
            reverse=bool(reverse),
            required=bool(required),
            sensitivity=sensitivity,
            section=section,
        )

    def item_kind(
        self, row: int, name: str, head: str, values: dict[str, Any]
    ) -> ItemKind | None:
        given = _text(values.get("empower::kind"))
        if given is not None:
            if given not in ITEM_KINDS:
                self.problem(_where("survey", row, name, "empower::kind"),
                             f"must be one of {', '.join(ITEM_KINDS)}, not '{given}'")
                return None
            if (given == "text") != (head == "text"):
                self.problem(_where("survey", row, name, "empower::kind"),
                             f"'{given}' does not fit the type '{head}'")
                return None
            return cast(ItemKind, given)
        if head == "text":
            return "text"
        axis, factor = values.get("empower::axis"), values.get("empower::factor")
        if axis and factor:
            return "effect"
        if axis or values.get("empower::subscale"):
            return "rating"
        return "choice"

    def fixed_field(self, row: int, name: str, head: str, values: dict[str, Any]) -> None:
        """Check the fields whose names the submission importer relies on."""
        self.seen_fields.add(name)
        expected = {
            INSTRUMENT_FIELD: "calculate",
            PARTICIPANT_CODE: "text",
            CONDUCTED_ON: "date",
            INTERVIEW_LANGUAGE: "select_one",
            START: "start",
            END: "end",
        }[name]
        if head != expected:
            self.problem(_where("survey", row, name, "type"),
                         f"'{name}' is a field name Empower reserves; its type must be "
                         f"{expected}, not {head}")
            return
        if name == INSTRUMENT_FIELD:
            match = INSTRUMENT_CALCULATION.match(str(values.get("calculation") or ""))
            if match is None:
                self.problem(_where("survey", row, name, "calculation"),
                             "must be '<id>@<version>' in quotes, such as "
                             "'empowerment-interview@2.0'")
            else:
                self.calculated = (match.group(2).strip(), match.group(3).strip())

    def read_services(self, rows: list[tuple[int, dict[str, Any]]]) -> ServiceBlock | None:
        """The ``services`` repeat, if it has the fields of an Empower services block."""
        if not rows:
            return None
        fields = {str(v.get("name")): (row, str(v.get("type") or "").split()) for row, v in rows}
        wanted = (SERVICE_TYPE, PROVIDER_TYPE, CONDITIONS)
        if not any(name in fields for name in wanted):
            self.note(_where("survey", self.services_row, SERVICES),
                      "this repeat has none of the fields of Empower's services block "
                      "(service_type, provider_type, conditions, service_effect__<axis>); "
                      "it is left out")
            return None
        lists: dict[str, str] = {}
        for name in wanted:
            if name not in fields:
                self.problem(_where("survey", self.services_row, SERVICES),
                             f"the services repeat has no '{name}' field")
                continue
            row, words = fields[name]
            kind = "select_multiple" if name == CONDITIONS else "select_one"
            if len(words) < 2 or words[0] != kind or words[1] not in self.lists:
                self.problem(_where("survey", row, name, "type"),
                             f"must be {kind} with a list on the choices sheet")
                continue
            lists[name] = words[1]
        effect_lists = {
            words[1]
            for name, (_, words) in fields.items()
            if name.startswith(SERVICE_EFFECT_PREFIX) and len(words) > 1
        }
        if len(effect_lists) != 1:
            self.problem(_where("survey", self.services_row, SERVICES),
                         "the service_effect__<axis> fields must all use one choice list "
                         f"(found {len(effect_lists)})")
        self.service_effects = {
            n[len(SERVICE_EFFECT_PREFIX):] for n in fields if n.startswith(SERVICE_EFFECT_PREFIX)
        }
        if len(lists) < len(wanted) or len(effect_lists) != 1:
            return None

        def options(name: str) -> tuple[Option, ...]:
            return tuple(o for _, o in self.lists[lists[name]])

        return ServiceBlock(
            service_types=options(SERVICE_TYPE),
            provider_types=options(PROVIDER_TYPE),
            conditions=options(CONDITIONS),
            effect_scale=effect_lists.pop(),
        )

    # ---- instrument-level sheets

    def one_row(self, sheet_name: str) -> tuple[_Sheet, int, dict[str, Any]] | None:
        sheet = self.book.get(sheet_name)
        if sheet is None or not sheet.rows:
            return None
        return sheet, sheet.rows[0][0], sheet.rows[0][1]

    def labelled(self, sheet_name: str) -> list[tuple[int, str, Texts, Texts]]:
        sheet = self.book.get(sheet_name)
        if sheet is None:
            return []
        found = []
        for row, values in sheet.rows:
            thing_id = _text(values.get("id"))
            if thing_id is None:
                self.problem(_where(sheet.name, row, column="id"), "is empty")
                continue
            label = self.texts(sheet, values, "label")
            if self.languages and self.languages[0] not in label:
                self.problem(_where(sheet.name, row, thing_id),
                             f"no label in {language_column(self.languages[0])}")
            found.append((row, thing_id, label, self.texts(sheet, values, "description")))
        return found

    def subscales(self) -> list[Subscale]:
        sheet = self.book.get(SUBSCALES_SHEET)
        if sheet is None:
            return []
        found = []
        for row, values in sheet.rows:
            subscale_id = _text(values.get("id")) or ""
            share = self.number(sheet.name, row, values, "min_answered", 0.8)
            found.append(Subscale(
                id=subscale_id,
                label=self.texts(sheet, values, "label"),
                axis=_text(values.get("axis")) or "",
                items=tuple(re.split(r"[\s,]+", str(values.get("items") or "").strip()))
                if values.get("items") else (),
                min_answered=float(share),
            ))
        return found

    def number(self, sheet: str, row: int, values: dict[str, Any], column: str,
               default: float | None) -> Any:
        raw = values.get(column)
        if raw is None:
            return default
        try:
            number = float(raw)
        except ValueError:
            self.problem(_where(sheet, row, column=column), f"must be a number, not '{raw}'")
            return default
        return int(number) if number.is_integer() and column in ("minimum", "maximum") else number

    def scales(self, questions: list[_Question]) -> dict[str, ResponseScale]:
        """Scales: the lists named on empower_scales, used by questions or by the services."""
        ranges: dict[str, tuple[Any, Any]] = {}
        sheet = self.book.get(SCALES_SHEET)
        for row, values in sheet.rows if sheet else ():
            scale_id = _text(values.get("id"))
            if scale_id is None:
                continue
            if scale_id not in self.lists:
                self.problem(_where(sheet.name, row, scale_id, "id"),  # type: ignore[union-attr]
                             f"there is no choice list '{scale_id}' on the choices sheet")
                continue
            ranges[scale_id] = (
                self.number(sheet.name, row, values, "minimum", None),  # type: ignore[union-attr]
                self.number(sheet.name, row, values, "maximum", None),  # type: ignore[union-attr]
            )
        used = [*ranges, *(q.scale for q in questions if q.scale)]
        if self.services is not None:
            used.append(self.services.effect_scale)
        return {s: self.scale(s, *ranges.get(s, (None, None))) for s in dict.fromkeys(used)}

    def assemble(self, settings: dict[str, str], questions: list[_Question]) -> Instrument | None:
        instrument_id, version = self.identity(settings)
        first = self.languages[0] if self.languages else "en"
        title: Texts = {}
        description: Texts = {}
        kind: Any = None
        method: Any = None
        min_answered = 0.8
        top = self.one_row(INSTRUMENT_SHEET)
        if top is not None:
            sheet, row, values = top
            title = self.texts(sheet, values, "title")
            description = self.texts(sheet, values, "description")
            kind = _text(values.get("kind"))
            method = _text(values.get("scoring_method"))
            min_answered = self.number(sheet.name, row, values, "min_answered", 0.8)
            if kind not in KINDS:
                self.problem(_where(sheet.name, row, column="kind"),
                             f"must be one of {', '.join(KINDS)}")
            if method not in METHODS:
                self.problem(_where(sheet.name, row, column="scoring_method"),
                             f"must be one of {', '.join(METHODS)}")
        if not title and settings.get("form_title"):
            title = {first: settings["form_title"]}
        if not title:
            self.note("settings", "no form_title; the instrument id is used as its title")
            title = {first: instrument_id}
        subscales = self.subscales()
        kind = kind or ("four_axis_interview" if self.services else "scales")
        method = method or ("subscale_mean" if subscales else "ladder")
        if not self.languages or not instrument_id or not version:
            return None
        return Instrument(
            id=instrument_id,
            version=version,
            kind=kind,
            title=title,
            description=description,
            languages=tuple(self.languages),
            axes=tuple(Axis(i, label, d) for _, i, label, d in self.labelled(AXES_SHEET)),
            factors=tuple(Factor(i, label, d) for _, i, label, d in self.labelled(FACTORS_SHEET)),
            scales=self.scales(questions),
            items=tuple(
                Item(
                    id=q.id, kind=q.kind, text=q.text, scale=q.scale, axis=q.axis,
                    factor=q.factor, subscale=q.subscale, reverse=q.reverse,
                    required=q.required, sensitivity=q.sensitivity, section=q.section,
                )
                for q in questions
            ),
            subscales=tuple(subscales),
            scoring=Scoring(method=method, min_answered=float(min_answered)),
            services=self.services,
        )

    def identity(self, settings: dict[str, str]) -> tuple[str, str]:
        """The instrument's id and version: from the ``instrument`` field, else from settings."""
        if self.calculated is not None:
            instrument_id, version = self.calculated
            where = _where("survey", None, INSTRUMENT_FIELD, "calculation")
        else:
            instrument_id = settings.get("form_id", "")
            version = settings.get("version", "")
            where = "settings"
            if not instrument_id:
                self.problem("settings", "no instrument id: settings.form_id is missing "
                                         "(and there is no 'instrument' calculate field)")
            if not version:
                self.problem("settings", "no instrument version: settings.version is missing "
                                         "(and there is no 'instrument' calculate field)")
        if instrument_id and not ID_PATTERN.match(instrument_id):
            self.problem(where, f"'{instrument_id}' cannot be an instrument id: use lowercase "
                                "letters, digits, '-' or '_'")
        if version and not VERSION_PATTERN.match(version):
            self.problem(where, f"'{version}' cannot be an instrument version: use numbers "
                                "separated by dots, such as 1.0")
        return instrument_id, version

    # ---- final checks

    def check(self, instrument: Instrument) -> Instrument:
        """Run the YAML loader's checks, so an imported instrument is as sound as a file.

        Its messages name YAML paths; they are translated to the survey and choices rows.
        """
        try:
            return load_instrument_text(dump_instrument(instrument), self.name)
        except InstrumentError as error:
            for p in error.problems:
                self.problems.append(Problem(self.translate(p.field), p.message))
            raise self.fail() from None

    def translate(self, path: str) -> str:
        match = re.match(r"^items\[([^\]]+)\](?:\.(\w+))?", path)
        if match and match.group(1) in self.item_rows:
            column = f"empower::{match.group(2)}" if match.group(2) else None
            if match.group(2) in ("scale",):
                column = "type"
            return _where("survey", self.item_rows[match.group(1)], match.group(1), column)
        match = re.match(r"^scales\[([^\]]+)\]", path)
        if match and match.group(1) in self.list_rows:
            return _where("choices", self.list_rows[match.group(1)], match.group(1))
        return f"instrument {path}" if path else "instrument"

    def plain_notes(self, instrument: Instrument, questions: list[_Question]) -> None:
        """What a plain XLSForm lacks for scoring, in the order a person would fix it."""
        scored = {s.id for s in instrument.subscales}
        for q in questions:
            if q.kind in ("choice", "rating") and q.axis is None and q.subscale not in scored:
                self.note(_where("survey", q.row, q.id),
                          "no axis — this question will be recorded but not scored")
        if not instrument.axes:
            self.note(AXES_SHEET, "no axes: the empower_axes sheet is missing, so no score "
                                  "can be made; add it (id, label::…) and empower::axis columns")
        if self.calculated is None:
            self.note("survey", f"no '{INSTRUMENT_FIELD}' calculate field: submissions will not "
                                f"say they were made with {instrument.key}; Empower's export "
                                "adds it")
        for name in (PARTICIPANT_CODE, CONDUCTED_ON, INTERVIEW_LANGUAGE):
            if name not in self.seen_fields:
                self.note("survey", f"no '{name}' field: submissions cannot be imported without "
                                    "it; Empower's export adds it")


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _language_code(language: str) -> str | None:
    """``English (en)`` → ``en``; ``en`` → ``en``; ``English`` → ``en``; else ``None``."""
    language = language.strip()
    match = CODE_IN_HEADER.search(language)
    if match:
        return match.group(1).lower()
    if LANGUAGE_PATTERN.match(language):
        return language
    for code, (english, own) in LANGUAGE_NAMES.items():
        if language.lower() in (english.lower(), own.lower()):
            return code
    return None


