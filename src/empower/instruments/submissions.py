"""Submissions collected offline with KoboToolbox or ODK Collect, read back as plain data.

Field workers fill in the XLSForm that Empower writes (see ``docs/imports.md``) on a phone
without a connection; the organisation later downloads the submissions from KoboToolbox or ODK
Central. This module reads those downloads and turns each submission into what
``record_assessment`` takes: answers, narratives and services for one instrument version. It
never touches a database: matching participants and saving is the web layer's job.

Two steps, so that every problem can be reported at once with its row and column:

* :func:`read_submissions` reads the file (KoboToolbox API v2 JSON, Kobo CSV or XLSX export,
  ODK Central CSV or its zip with the repeat CSV) into :class:`RawSubmission` records, tolerant
  of what real files do: a byte-order mark, UTF-16 from Excel, Windows code pages, semicolons,
  empty rows, group paths in headers (``ladder/rating__healing``, ``ladder-rating__healing``).
* :func:`interpret` checks those records against the instruments and converts each value to the
  instrument's type (``"7"`` → ``7``, ``"prefer_not_to_say"``, space-separated choices …).

Row numbers are those a person sees when they open the file: the header is row 1 and the first
submission row 2; in JSON, a submission's position in ``results`` counted from 1.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, Literal

from empower.i18n import Text, gettext_noop, ngettext_lazy
from empower.instruments.model import (
    PREFER_NOT_TO_SAY,
    Instrument,
    Option,
    ResponseScale,
)
from empower.instruments.scoring import validate_answers

Source = Literal["kobo", "odk"]
SOURCES: tuple[Source, ...] = ("kobo", "odk")
SOURCE_NAMES: dict[str, str] = {"kobo": "KoboToolbox", "odk": "ODK Central"}

# Field names fixed by the XLSForm Empower writes.
INSTRUMENT = "instrument"
PARTICIPANT_CODE = "participant_code"
CONDUCTED_ON = "conducted_on"
LANGUAGE = "interview_language"
REPEAT = "services"
SERVICE_FIELDS = ("service_type", "provider_type", "respected_wishes", "conditions")
EFFECT_PREFIX = "service_effect__"
CONTRACT_FIELDS = (INSTRUMENT, PARTICIPANT_CODE, CONDUCTED_ON, LANGUAGE)
#: Columns without which no row of a table can be used.
REQUIRED_COLUMNS = (PARTICIPANT_CODE, CONDUCTED_ON, LANGUAGE)

#: Where each tool keeps the id that stays the same when a submission is edited, in order of
#: preference. KoboToolbox gives every edit a new ``_uuid`` and ``meta/instanceID`` and keeps
#: the first one in ``meta/rootUuid`` (always present since 2025); ODK Central gives every edit a
#: new ``meta-instanceID`` and keeps the first one in ``KEY`` (which ``PARENT_KEY`` points to).
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "kobo": ("rootUuid", "_uuid", "instanceID"),
    "odk": ("KEY", "instanceID"),
}
#: Where each tool keeps the id of this version of the submission.
VERSION_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "kobo": ("_uuid", "instanceID"),
    "odk": ("instanceID", "KEY"),
}
#: The id column named when a file has none.
ID_COLUMN_NAMES = {"kobo": "_uuid", "odk": "instanceID"}
#: Where each tool records that a submission replaces an edited one.
REPLACES_COLUMN = "deprecatedID"
#: The longest submission id Empower keeps (real ones are "uuid:" and 36 characters).
MAX_ID_LENGTH = 100

#: The most a download may unpack to: a zip or workbook of a few thousand interviews stays far
#: below it, and a "zip bomb" (a small file that unpacks to gigabytes) is refused before it is
#: unpacked. The sizes a zip declares are binding: Python never unpacks more than them.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: The most text one table may hold by default (a CSV or JSON file, or a CSV in a zip): it is
#: read into memory whole, and its rows take several times that once read.
MAX_TABLE_BYTES = 200 * 1024 * 1024
#: The most submissions one file may hold by default (the site sets a lower limit).
MAX_ROWS = 50_000
#: How many rows are read between two looks at the clock.
_CLOCK_EVERY = 250

#: Review decisions that mean "do not use this submission": ODK Central's ``ReviewState``, and
#: KoboToolbox's ``_validation_status`` as exported with XML values (the uid) or with labels.
REJECTED = {
    "odk": ("ReviewState", {"rejected"}, Text(gettext_noop("rejected in ODK Central"))),
    "kobo": ("_validation_status", {"validation_status_not_approved", "not approved"},
             Text(gettext_noop("marked \"Not approved\" in KoboToolbox"))),
}
#: ODK Central's ``Status`` for a submission of an encrypted form it could not decrypt.
UNDECRYPTED = {"not decrypted", "missing encrypted form data"}

#: Metadata both tools add. Kobo's own fields start with ``_`` (``_uuid``, ``_submission_time``,
#: ``_submission__uuid`` on repeat sheets …), and item ids never do; ``meta/…`` and
#: ``formhub/…`` are the XForm's metadata groups.
_METADATA = frozenset({
    # XLSForm metadata question types, Kobo and ODK alike
    "start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
    "phonenumber", "audit", "email",
    # KoboToolbox
    "__version__", "uuid", "rootUuid", "instanceID", "deprecatedID", "instanceName",
    # ODK Central
    "SubmissionDate", "KEY", "PARENT_KEY", "SubmitterID", "SubmitterName",
    "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
    "FormVersion",
})
_METADATA_GROUPS = ("meta", "formhub")
#: Group separators: Kobo's default ``/`` (its export dialog lets people choose another, often
#: ``.``, ``:`` or ``_``), ODK Central's ``-``.
_SEPARATORS = "/-.:_"
_SPLIT = re.compile(r"[/\-.:]")
_TRUE = {"1", "true", "yes"}

FORMAT_NAMES: dict[tuple[str, str], str] = {
    ("kobo", "json"): gettext_noop("KoboToolbox API (JSON)"),
    ("kobo", "csv"): gettext_noop("KoboToolbox CSV export"),
    ("kobo", "xlsx"): gettext_noop("KoboToolbox Excel (XLSX) export"),
    ("kobo", "zip"): gettext_noop("zip of CSV files"),
    ("odk", "csv"): gettext_noop("ODK Central CSV export"),
    ("odk", "zip"): gettext_noop("ODK Central export (zip of CSV files)"),
    ("odk", "xlsx"): gettext_noop("Excel workbook"),
    ("odk", "json"): "JSON",
}
#: Stands for a file whose name is not known, in messages that name the file.
THE_FILE = Text(gettext_noop("The file"))


# --------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class RowProblem:
    """Something wrong with one cell, one row, or the file (``row`` 0).

    ``column`` is the header exactly as it is written in the file, so the person can find it;
    ``sheet`` names the repeat sheet or file when the problem is there, not in the main table.
    A ``warning`` does not stop an import (an unknown column, a row with no parent).

    ``text`` is kept as made (usually a :class:`~empower.i18n.Text`); ``message`` renders it in
    the language active when it is read, so a page shows it in its reader's language.
    """

    row: int
    column: str
    text: str | Text
    sheet: str = ""
    warning: bool = False

    @property
    def message(self) -> str:
        return str(self.text)

    def where(self) -> str:
        parts = [self.sheet] if self.sheet else []
        if self.row:
            parts.append(str(Text(gettext_noop("row %(row)s"), {"row": self.row})))
        if self.column:
            parts.append(str(Text(gettext_noop("column %(column)s"), {"column": self.column})))
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


@dataclass
class RepeatRow:
    """One entry of the services repeat: a row of the repeat sheet or file, or an entry of
    the inline list in Kobo's JSON (``label`` then says which, e.g. ``service 2``)."""

    sheet: str
    row: int
    values: dict[str, str]
    label: str | Text = ""


@dataclass
class RawSubmission:
    """One submission as read: header (as written in the file) → text; nothing converted."""

    row: int
    values: dict[str, str]
    services: list[RepeatRow] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    """How much of a file is read before it is refused as too large: the text of one table
    (a CSV or JSON file, or a CSV in a zip) in bytes, and its rows. A larger file is refused
    with a message that says which limit it passed and how to split it."""

    table_bytes: int = MAX_TABLE_BYTES
    rows: int = MAX_ROWS

    @property
    def service_rows(self) -> int:
        """Rows of the services repeat: each interview lists a few."""
        return 10 * self.rows

    @property
    def workbook_bytes(self) -> int:
        """What a workbook may unpack to: its XML spells out every cell, so it takes several
        times the text of the same table as CSV."""
        return min(MAX_UNPACKED_BYTES, 4 * self.table_bytes)


@dataclass(frozen=True)
class Deadline:
    """How long reading and checking a file may take: ``seconds`` from ``start`` on the
    monotonic clock. Checked between rows, so a file stops within a few rows of the limit
    (a signal-based timeout would not work in a web server's threads)."""

    seconds: float
    start: float = field(default_factory=time.monotonic)

    def passed(self) -> bool:
        return time.monotonic() - self.start > self.seconds


def too_slow(deadline: Deadline) -> Text:
    """Why a file was not checked to its end."""
    return ngettext_lazy(
        "Checking this file took longer than %(number)s second, so it was stopped and nothing "
        "was imported. Export fewer submissions at a time (for example one month), and import "
        "each file.",
        "Checking this file took longer than %(number)s seconds, so it was stopped and nothing "
        "was imported. Export fewer submissions at a time (for example one month), and import "
        "each file.", max(1, round(deadline.seconds)))


@dataclass
class SubmissionFile:
    """What :func:`read_submissions` found in a file."""

    source: Source
    format: str
    source_guessed: bool = False
    encoding: str = ""
    submissions: list[RawSubmission] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    repeat_headers: list[str] = field(default_factory=list)
    repeat_sheet: str = ""
    has_repeat_data: bool = False
    #: things the person should know (``str()`` renders each in the active language)
    notes: list[Text] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    #: how much is read before the file is refused as too large
    limits: Limits = field(default_factory=Limits, repr=False, compare=False)
    #: when reading and interpreting must stop (``None``: no time limit)
    deadline: Deadline | None = field(default=None, repr=False, compare=False)

    @property
    def description(self) -> str:
        name = FORMAT_NAMES.get((self.source, self.format))
        return str(Text(name)) if name else self.format

    @property
    def errors(self) -> list[RowProblem]:
        return [p for p in self.problems if not p.warning]


@dataclass
class Interview:
    """One submission turned into an assessment for one instrument version.

    ``problems`` holds what stops this row from being imported; an interview without problems
    is ready for ``record_assessment``.
    """

    row: int
    #: the id that stays the same when the submission is edited in the tool
    submission_id: str = ""
    #: the id of this version of the submission (differs from ``submission_id`` once edited)
    version_id: str = ""
    replaces: str = ""
    #: why the tool's reviewers turned this submission down ("" when they did not)
    rejected: str | Text = ""
    participant_code: str = ""
    #: the header of the participant code column, as written in the file
    code_column: str = PARTICIPANT_CODE
    instrument_key: str = ""
    instrument: Instrument | None = None
    conducted_on: date | None = None
    language: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    narratives: dict[str, str] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        """Every id this submission has had: its own, the first one, the one it replaced."""
        return {i for i in (self.submission_id, self.version_id, self.replaces) if i}


@dataclass
class Reading:
    """Every interview of a file, with the notes and file-wide problems found on the way."""

    file: SubmissionFile
    interviews: list[Interview]
    notes: list[Text]
    problems: list[RowProblem]

    @property
    def errors(self) -> list[RowProblem]:
        """File-wide and row problems that stop the import, in the order of the file."""
        found = [p for p in self.problems if not p.warning]
        for interview in self.interviews:
            found += [p for p in interview.problems if not p.warning]
        return found

    @property
    def warnings(self) -> list[RowProblem]:
        return [p for p in self.problems if p.warning]


# --------------------------------------------------------------------------- reading files


class _Unusable(Exception):
    """The file as a whole cannot be read; ``text`` says why in plain words."""

    def __init__(self, template: str | Text, **params: Any) -> None:
        self.text = template if isinstance(template, Text) else Text(template, params)
        super().__init__(self.text)


def read_submissions(
    data: bytes, filename: str = "", source: Source | None = None,
    limits: Limits | None = None, deadline: Deadline | None = None,
) -> SubmissionFile:
    """Read a download from KoboToolbox or ODK Central.

    ``source`` is ``"kobo"`` or ``"odk"``; when it is ``None`` it is worked out from the file
    (JSON and XLSX come from KoboToolbox, a zip of CSV files from ODK Central, a CSV by its
    metadata columns) and ``source_guessed`` says so. A file that cannot be read at all comes
    back with a problem on row 0 and no submissions: so does one larger than
    :data:`MAX_UNPACKED_BYTES` or ``limits``, and one not read to its end by ``deadline``
    (which :func:`interpret` then keeps to as well).
    """
    stranger = not_a_submissions_file(data, filename)
    if stranger is not None:
        # Refused before any parsing: a picture or a PDF is not read as text with an
        # encoding warning, and its source is not guessed.
        kind = PurePosixPath(filename.lower()).suffix.lstrip(".") or "?"
        found = SubmissionFile(source=source or "kobo", format=kind,
                               source_guessed=source is None)
        found.problems.append(RowProblem(0, "", stranger))
        return found
    kind = _kind(data, filename)
    chosen: Source = source or _guess_source(data, kind)
    found = SubmissionFile(source=chosen, format=kind, source_guessed=source is None,
                           limits=limits or Limits(), deadline=deadline)
    try:
        if _BLANK.fullmatch(data):
            raise _Unusable(gettext_noop("The file is empty."))
        if kind in ("csv", "json") and len(data) > found.limits.table_bytes:
            raise _too_long(filename or THE_FILE, len(data), found.limits)
        if source == "kobo" and kind == "zip":
            # KoboToolbox never exports a zip of CSV files; ODK Central always does.
            raise _Unusable(gettext_noop(
                "%(name)s is a zip of CSV files, as ODK Central exports them, but KoboToolbox "
                "was chosen. This looks like an ODK Central export: choose ODK Central (on the "
                "command line: empower import odk). KoboToolbox downloads are JSON, CSV or "
                "Excel (XLSX) files."), name=filename or THE_FILE)
        if source == "odk" and kind == "json":
            raise _Unusable(gettext_noop(
                "ODK Central exports are CSV files or a zip of CSV files, and this file is "
                "JSON. Choose KoboToolbox, or download the CSV export from ODK Central."
            ))
        reader = {"json": _read_json, "csv": _read_csv, "xlsx": _read_xlsx, "zip": _read_zip}
        reader[kind](data, filename, found)
    except _Unusable as error:
        found.problems.append(RowProblem(0, "", error.text))
        found.submissions = []
        return found
    if not found.submissions and not found.errors:
        found.problems.append(RowProblem(
            0, "", Text(gettext_noop("The file holds no submissions."))))
    return found


# ---- files that are not what they claim


#: How files that are never submissions begin, and what they are, in words for anyone.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, gettext_noop("a picture (PNG)")),
    (b"\xff\xd8\xff", 0, gettext_noop("a photo (JPEG)")),
    (b"GIF87a", 0, gettext_noop("a picture (GIF)")),
    (b"GIF89a", 0, gettext_noop("a picture (GIF)")),
    (b"WEBP", 8, gettext_noop("a picture (WebP)")),
    (b"ftyp", 4, gettext_noop("a photo or video from a phone")),
    (b"%PDF-", 0, gettext_noop("a PDF document")),
    (b"{\\rtf", 0, gettext_noop("a word-processor document (RTF)")),
    (b"\x1f\x8b", 0, gettext_noop("a compressed file (gzip)")),
    (b"Rar!\x1a\x07", 0, gettext_noop("a compressed file (RAR)")),
    (b"7z\xbc\xaf\x27\x1c", 0, gettext_noop("a compressed file (7-Zip)")),
    (b"ID3", 0, gettext_noop("a sound recording (MP3)")),
    (b"OggS", 0, gettext_noop("a sound recording (Ogg)")),
    (b"\x7fELF", 0, gettext_noop("a program")),
    (b"MZ", 0, gettext_noop("a program")),
)
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")
#: Zip files (Excel workbooks among them) and old Excel files: their readers say what is wrong.
_READ_BY_THEIR_OWN_READER = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0")
#: The part of a file looked at to tell text from other data.
_SNIFF_BYTES = 4096


def not_a_submissions_file(data: bytes, filename: str = "") -> Text | None:
    """Why ``data`` cannot be a download of submissions, when it plainly is something else:
    a picture, a photo, a PDF, a compressed file, a program, or other data that is not text.

    Only the first few kilobytes are looked at, and nothing is parsed: zip files (which
    include Excel workbooks) and old Excel files are left to their readers, which say what is
    wrong with them. ``None`` when the file may be a submissions file.
    """
    head = data[:_SNIFF_BYTES]
    if _BLANK.fullmatch(head) or head.startswith(_READ_BY_THEIR_OWN_READER):
        return None
    what = next((name for magic, at, name in _SIGNATURES
                 if head[at:at + len(magic)] == magic
                 and not (magic == b"MZ" and not _has_control_bytes(head))), None)
    if what is None and _has_control_bytes(head):
        what = gettext_noop("a file that is not text (perhaps a picture, a document or a "
                            "program)")
    if what is None:
        return None
    return Text(gettext_noop(
        "%(name)s seems to be %(what)s, not submissions downloaded from KoboToolbox or ODK "
        "Central. Nothing was read from it. Download the submissions again (CSV, Excel or "
        "JSON) and choose that file."
    ), {"name": filename or THE_FILE, "what": Text(what)})


def _has_control_bytes(head: bytes) -> bool:
    """Whether ``head`` holds characters no text file has, in every encoding a download can
    come in (UTF-8, UTF-16 either way round, Windows-1252, Latin-1)."""
    if not head or head.startswith(tuple(bom for bom, _encoding in _BOMS)):
        return False
    whole = head[:len(head) - len(head) % 2]
    for encoding, part in (("utf-8", head), ("utf-16-le", whole), ("utf-16-be", whole),
                           ("cp1252", head), ("latin-1", head)):
        try:
            text = part.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding != "utf-8" or error.start < len(part) - 3:
                continue
            text = part[:error.start].decode(encoding)  # a character cut at the end
        controls = sum(1 for c in text
                       if c not in _TEXT_CONTROLS and unicodedata.category(c) in ("Cc", "Cs"))
        if controls <= len(text) // 100:
            return False
    return True


#: Nothing but byte-order marks, NULs and white space (matched in place: no copy of the file).
_BLANK = re.compile(rb"[\x00\t\r\n \xef\xbb\xbf\xff\xfe]*")
#: Sheets of a workbook looked at for the submissions and the services.
MAX_SHEETS = 50


def _kind(data: bytes, filename: str) -> str:
    """``json``, ``csv``, ``xlsx`` or ``zip``: by the name first, then by the content.

    A file whose content contradicts its name is reported by the reader for that name, so a
    CSV renamed ``.xlsx`` is called what it is rather than read as something else.
    """
    suffix = PurePosixPath(filename.lower()).suffix
    by_name = {".json": "json", ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx",
               ".xls": "xlsx", ".zip": "zip"}
    if suffix in by_name:
        return by_name[suffix]
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "xlsx" if "xl/workbook.xml" in names else "zip"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in (b"{", b"[") else "csv"


def _guess_source(data: bytes, kind: str) -> Source:
    if kind == "zip":
        return "odk"
    if kind != "csv":
        return "kobo"
    try:
        headers = next(_csv_rows(_decode(_head(data))[0]), [])
    except (_Unusable, csv.Error):
        return "kobo"
    return _source_of_headers(headers) or "kobo"


def _head(data: bytes, size: int = 65536) -> bytes:
    """The first whole lines of a text file, enough for its header row."""
    if len(data) <= size:
        return data
    head = data[:size]
    cut = head.rfind(b"\n")
    head = head[:cut + 1] if cut > 0 else head
    if (data.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(0) > len(head) // 4) \
            and len(head) % 2:
        head = head[:-1]  # UTF-16: whole two-byte units only
    return head


#: Metadata columns only one of the tools writes.
_TOOL_COLUMNS: tuple[tuple[Source, tuple[str, ...]], ...] = (
    ("kobo", ("_uuid", "_submission_time", "_id", "__version__")),
    ("odk", ("KEY", "SubmissionDate", "SubmitterID", "meta-instanceID")),
)


def _tool_column(headers: Iterable[str]) -> tuple[Source, str] | None:
    """The tool whose metadata columns a header row carries, with the column that tells."""
    headers = list(headers)
    for tool, columns in _TOOL_COLUMNS:
        telling = next((h for h in headers if h in columns), None)
        if telling is not None:
            return tool, telling
    return None


def _source_of_headers(headers: Iterable[str]) -> Source | None:
    """The tool whose metadata columns a header row carries, if it tells."""
    found = _tool_column(headers)
    return found[0] if found else None


# ---- text


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _decode(data: bytes) -> tuple[str, str, Text | None]:
    """The text, the encoding it was read in, and a note when it was not UTF-8 or UTF-16 (the
    person should then check the letters). Decoding is strict, so a file is never read
    half-garbled: it is read whole in the first encoding that fits."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding, None
            except UnicodeDecodeError as error:
                raise _Unusable(gettext_noop("The file starts as %(encoding)s text but is "
                                             "damaged (at byte %(byte)s)."),
                                encoding=encoding, byte=error.start) from None
    head = data[:400]
    if head.count(0) > len(head) // 4:
        # UTF-16 without a byte-order mark: every other byte of Latin text is zero.
        guess = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(guess), guess, None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    for encoding, name in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1 (ISO-8859-1)")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, encoding, Text(gettext_noop(
            "The file is not UTF-8; it was read as %(encoding)s. After the import, check that "
            "letters with accents look right in the notes; if not, export it again as UTF-8."
        ), {"encoding": name})
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _text(value: Any) -> str:
    """A cell or JSON value as the text a person typed (``7.0`` from Excel is ``7``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep="T")
    if isinstance(value, date):
        return value.isoformat()
    # PostgreSQL cannot store NUL in text; it never belongs in a typed answer.
    return str(value).replace("\x00", "").strip()


def ascii_digits(text: str) -> str:
    """Digits of any script as ASCII: Bengali ``৭`` and Burmese ``၇`` are ``7``.

    Choice values come from the form and are always ASCII, but a value corrected by hand on a
    phone or in a spreadsheet set to Bengali or Burmese may hold that script's digits. Each
    decimal digit (Unicode category Nd) has exactly one value, so the conversion is exact;
    anything else (Burmese letter ``ဝ`` that looks like zero, say) is left as it is."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _table(rows: Iterable[Sequence[Any]], sheet: str, found: SubmissionFile,
           services: bool = False) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and non-empty rows of a table, each row with its number as a person sees it.

    Reading stops as soon as the table has more rows than the file's limits allow (for
    submissions, or for ``services``) or its deadline has passed, so a huge table costs no more
    than that many rows of memory and time."""
    limit = found.limits.service_rows if services else found.limits.rows
    iterator = iter(rows)
    header: list[str] = []
    for header_row in iterator:
        header = [_text(h).lstrip("\ufeff") for h in header_row]
        break
    while header and not header[-1]:
        header.pop()
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            found.problems.append(RowProblem(
                1, h, Text(gettext_noop("this column name appears more than once; only the "
                                        "first is read")),
                sheet=sheet, warning=True))
        seen.add(h)
    body = []
    unnamed_warned = False
    for number, raw in enumerate(iterator, start=2):
        if number % _CLOCK_EVERY == 0 and found.deadline and found.deadline.passed():
            raise _Unusable(too_slow(found.deadline))
        cells = [_text(c) for c in raw]
        if not any(cells):
            continue  # an empty row: skipped, not an error
        if len(body) == limit:
            raise _too_many(sheet, limit, services)
        values: dict[str, str] = {}
        for index, cell in enumerate(cells):
            name = header[index] if index < len(header) else ""
            if not name:
                if cell and not unnamed_warned:
                    found.problems.append(RowProblem(
                        number, f"#{index + 1}",
                        Text(gettext_noop("a value in a column without a name was ignored")),
                        sheet=sheet, warning=True))
                    unnamed_warned = True
                continue
            values.setdefault(name, cell)
        body.append((number, values))
    return header, body


#: One line of text with its line ending (``\r\n``, ``\n`` or the old Mac ``\r``).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")


def _csv_rows(text: str) -> Iterator[list[str]]:
    """Rows of a CSV whose separator is a comma, a semicolon (Kobo's default) or a tab
    (Excel's "Unicode text"), decided on the header line. The rows are read one at a time from
    the text, which is never copied whole."""
    first = text[:65536].lstrip("\ufeff").split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    delimiter = max(",;\t", key=unquoted.count)
    if not unquoted.count(delimiter):
        delimiter = ","
    lines = (match.group(0) for match in _LINE.finditer(text))
    return csv.reader(lines, delimiter=delimiter)


def _read_csv_table(data: bytes, sheet: str, found: SubmissionFile, services: bool = False
                    ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if data.startswith(b"PK\x03\x04"):
        raise _Unusable(gettext_noop("%(name)s is called a CSV file but is a zip or Excel "
                                     "file. Choose the file again, or give it its right name."),
                        name=sheet or THE_FILE)
    text, encoding, note = _decode(data)
    found.encoding = found.encoding or encoding
    if note and note not in found.notes:
        found.notes.append(note)
    try:
        return _table(_csv_rows(text), sheet, found, services)
    except csv.Error as error:
        raise _Unusable(gettext_noop("%(name)s could not be read as CSV (%(error)s). Download "
                                     "it again, and do not change it in a spreadsheet first."),
                        name=sheet or THE_FILE, error=str(error)) from None


def _read_csv(data: bytes, filename: str, found: SubmissionFile) -> None:
    found.headers, body = _read_csv_table(data, "", found)
    found.submissions = [RawSubmission(row, values) for row, values in body]
    found.has_repeat_data = False


def _read_json(data: bytes, filename: str, found: SubmissionFile) -> None:
    if data.startswith(b"PK\x03\x04"):
        raise _Unusable(gettext_noop("%(name)s is called a JSON file but is a zip or Excel "
                                     "file. Choose the right source, or give the file its right "
                                     "name."), name=filename or THE_FILE)
    text, found.encoding, note = _decode(data)
    if note:
        found.notes.append(note)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Unusable(gettext_noop(
            "The file is not valid JSON (line %(line)s, column %(column)s: %(error)s). Download "
            "it again from the KoboToolbox API, or choose the CSV or XLSX export."
        ), line=error.lineno, column=error.colno, error=error.msg) from None
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        results = document["results"]
        count = document.get("count")
        if (isinstance(count, int) and count > len(results)) or document.get("next"):
            found.notes.append(Text(gettext_noop(
                "This file holds %(found)s of %(count)s submissions: it is one page of the "
                "KoboToolbox API's answer. Download the other pages too (or ask for more per "
                "page with ?limit=) to import them all."
            ), {"found": len(results), "count": count}))
    elif isinstance(document, list):
        results = document
    else:
        raise _Unusable(gettext_noop("This JSON is not a KoboToolbox submissions list: it "
                                     "has no '%(key)s'. Download %(path)s."),
                        key="results", path="/api/v2/assets/<form>/data.json")
    if len(results) > found.limits.rows:
        raise _too_many("", found.limits.rows)
    found.has_repeat_data = True
    headers: dict[str, None] = {}
    repeat_headers: dict[str, None] = {}
    for position, record in enumerate(results, start=1):
        if not isinstance(record, dict):
            found.problems.append(RowProblem(position, "", Text(gettext_noop(
                "this entry is not a submission (expected an object with field names)"))))
            continue
        if not record:
            continue
        submission = RawSubmission(position, {})
        for key, value in record.items():
            headers.setdefault(key, None)
            if isinstance(value, list) and _last_segment(key) == REPEAT:
                for number, entry in enumerate(value, start=1):
                    if isinstance(entry, dict):
                        values = {k: _text(v) for k, v in entry.items()
                                  if not isinstance(v, (list, dict))}
                        repeat_headers.update(dict.fromkeys(values))
                        submission.services.append(
                            RepeatRow("", position, values, label=Text(
                                gettext_noop("service %(number)s"), {"number": number})))
            elif isinstance(value, dict) and key == REJECTED["kobo"][0]:
                # {"uid": "validation_status_approved", "label": "Approved", ...}, or {}
                submission.values[key] = _text(value.get("uid"))
            elif not isinstance(value, (list, dict)):
                submission.values[key] = _text(value)
        found.submissions.append(submission)
    found.headers = list(headers)
    found.repeat_headers = list(repeat_headers)


def _unpacked_size(archive: zipfile.ZipFile, names: Iterable[str] | None = None) -> int:
    members = archive.infolist() if names is None else [archive.getinfo(n) for n in names]
    return sum(m.file_size for m in members)


def _megabytes(size: int) -> int:
    """Whole megabytes, rounded up: a file just over a limit never reads as "20 MB of 20"."""
    return -(-size // (1024 * 1024))


def _too_long(what: str | Text, size: int, limits: Limits) -> _Unusable:
    return _Unusable(gettext_noop("%(name)s holds %(size)s MB of text; Empower reads at most "
                                  "%(limit)s MB from one file. Export fewer submissions at a "
                                  "time (for example one month), so that each file stays "
                                  "under %(limit)s MB, and import each file."),
                     name=what, size=_megabytes(size), limit=limits.table_bytes // (1024 * 1024))


def _too_many(sheet: str, limit: int, services: bool = False) -> _Unusable:
    if not services:
        return _Unusable(ngettext_lazy(
            "The file holds more than %(number)s submission, more than Empower checks at once. "
            "Export fewer at a time (for example one month), so that each file holds at most "
            "%(number)s, and import each file.",
            "The file holds more than %(number)s submissions, more than Empower checks at "
            "once. Export fewer at a time (for example one month), so that each file holds at "
            "most %(number)s, and import each file.", limit))
    return _Unusable(ngettext_lazy(
        "%(sheet)s holds more than %(number)s row of services, more than Empower checks at "
        "once. Export fewer submissions at a time (for example one month), and import each "
        "file.",
        "%(sheet)s holds more than %(number)s rows of services, more than Empower checks at "
        "once. Export fewer submissions at a time (for example one month), and import each "
        "file.", limit, {"sheet": sheet}))


def _too_big(what: str | Text, limit: int = MAX_UNPACKED_BYTES) -> _Unusable:
    return _Unusable(gettext_noop("%(name)s unpacks to more than %(limit)s MB, far more than "
                                  "a download of interviews. Export fewer submissions at a time "
                                  "(for example one month), and import each file."),
                     name=what, limit=limit // (1024 * 1024))


def _read_xlsx(data: bytes, filename: str, found: SubmissionFile) -> None:
    from openpyxl import load_workbook  # only needed for workbooks

    name = filename or THE_FILE
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Unusable(gettext_noop("This is an old-style Excel file (.xls). Export XLSX or "
                                     "CSV instead."))
    if not data.startswith(b"PK\x03\x04"):
        raise _Unusable(gettext_noop("%(name)s is not an Excel workbook (it may be a CSV or "
                                     "text file with the wrong name, or damaged)."), name=name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = _unpacked_size(archive)
    except (zipfile.BadZipFile, ValueError):
        unpacked = 0  # openpyxl says below what is wrong with it
    if unpacked > found.limits.workbook_bytes:
        raise _too_big(name, found.limits.workbook_bytes)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise _Unusable(gettext_noop("%(name)s is not an Excel workbook that can be read "
                                     "(%(error)s)."),
                        name=name, error=type(error).__name__) from None
    try:
        main_name, repeat_name, others = _pick_sheets(book)
        found.headers, body = _table(book[main_name].iter_rows(values_only=True), main_name,
                                     found)
        repeat_body: list[tuple[int, dict[str, str]]] = []
        if repeat_name is not None:
            found.repeat_headers, repeat_body = _table(
                book[repeat_name].iter_rows(values_only=True), repeat_name, found,
                services=True)
    except _Unusable:
        raise
    except Exception as error:  # a sheet damaged part-way through
        raise _Unusable(gettext_noop("%(name)s is damaged: a sheet could not be read to its "
                                     "end (%(error)s). Download it again."),
                        name=name, error=type(error).__name__) from None
    finally:
        book.close()
    if others:
        found.notes.append(Text(gettext_noop(
            "These sheets of the workbook were not read (they are not the submissions or the "
            "services): %(sheets)s."), {"sheets": ", ".join(others)}))
    found.submissions = [RawSubmission(row, values) for row, values in body]
    if repeat_name is None:
        found.has_repeat_data = False
        return
    found.has_repeat_data = True
    found.repeat_sheet = repeat_name
    _link(found, repeat_body, repeat_name,
          parent_keys=(("_parent_index", "_index"), ("_submission__uuid", "_uuid")))


def _pick_sheets(book: Any) -> tuple[str, str | None, list[str]]:
    """The sheet of submissions, the services sheet, and the other sheets' names.

    Kobo's export puts the submissions first (named after the form's title, cut to 31
    characters) and each repeat on a sheet named after it, with ``_parent_index``. Only the
    header row of each sheet is read to decide, so a workbook with many sheets costs little.
    """
    titles = book.sheetnames
    if len(titles) > MAX_SHEETS:
        raise _Unusable(gettext_noop("The workbook has %(sheets)s sheets; a KoboToolbox export "
                                     "has one for the submissions and one for each repeat. "
                                     "Export it again from KoboToolbox."), sheets=len(titles))
    headers: dict[str, list[str]] = {}
    for title in titles:
        first = next(book[title].iter_rows(max_row=1, values_only=True), ())
        headers[title] = [_text(h) for h in first]
    repeat_name = next((t for t in titles if t.lower() == REPEAT), None) or next(
        (t for t in titles if "_parent_index" in headers[t] and REPEAT in t.lower()), None)
    candidates = [t for t in titles
                  if t != repeat_name and "_parent_index" not in headers[t] and any(headers[t])]
    # The first sheet with a submission id or a participant code; else simply the first.
    main_name = next((t for t in candidates
                      if _id_column(headers[t], "kobo") or _header_for(headers[t],
                                                                        PARTICIPANT_CODE)),
                     candidates[0] if candidates else None)
    if main_name is None:
        raise _Unusable(gettext_noop("The workbook has no sheet of submissions."))
    others = [t for t in titles if t not in (main_name, repeat_name)]
    return main_name, repeat_name, others


def _read_zip(data: bytes, filename: str, found: SubmissionFile) -> None:
    name = filename or THE_FILE
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist()
                 if n.lower().endswith(".csv") and not n.startswith("__MACOSX")
                 and not n.startswith("media/")]
    except (zipfile.BadZipFile, ValueError):
        raise _Unusable(gettext_noop("%(name)s is not a zip file (it may be damaged, or a CSV "
                                     "with the wrong name)."), name=name) from None
    if not names:
        raise _Unusable(gettext_noop("The zip file holds no CSV files. Download the CSV export "
                                     "(zip) from ODK Central."))
    main = min(names, key=lambda n: (len(PurePosixPath(n).stem), n))
    stem = PurePosixPath(main).stem
    repeat = next((n for n in names if PurePosixPath(n).stem == f"{stem}-{REPEAT}"), None) or (
        next((n for n in names if PurePosixPath(n).stem.endswith(f"-{REPEAT}")), None))
    ignored = [PurePosixPath(n).name for n in names if n not in (main, repeat)]
    if ignored:
        found.notes.append(Text(gettext_noop(
            "These files in the zip were not read (Empower's form has no such repeat): "
            "%(files)s."), {"files": ", ".join(ignored)}))
    wanted = [n for n in (main, repeat) if n is not None]
    if _unpacked_size(archive, wanted) > MAX_UNPACKED_BYTES:
        raise _too_big(name)
    for member in wanted:
        # Checked on the sizes the zip declares, before anything is unpacked.
        size = _unpacked_size(archive, [member])
        if size > found.limits.table_bytes:
            raise _too_long(PurePosixPath(member).name, size, found.limits)
    found.headers, body = _read_csv_table(_member(archive, main, name), "", found)
    found.submissions = [RawSubmission(row, values) for row, values in body]
    if repeat is None:
        found.has_repeat_data = False
        return
    sheet = PurePosixPath(repeat).name
    found.has_repeat_data = True
    found.repeat_sheet = sheet
    found.repeat_headers, repeat_body = _read_csv_table(_member(archive, repeat, name), sheet,
                                                        found, services=True)
    _link(found, repeat_body, sheet,
          parent_keys=(("PARENT_KEY", "KEY"), ("PARENT_KEY", "meta-instanceID")))


def _member(archive: zipfile.ZipFile, member: str, name: str | Text) -> bytes:
    """One file of a zip, or a plain reason why it cannot be unpacked."""
    try:
        return archive.read(member)
    except NotImplementedError:  # (a kind of RuntimeError, so first)
        raise _Unusable(gettext_noop("%(name)s was packed in a way that cannot be unpacked "
                                     "here. Download the export from ODK Central again and "
                                     "import it as it comes."), name=name) from None
    except RuntimeError:  # a password-protected zip
        raise _Unusable(gettext_noop("%(name)s is protected with a password. Download the "
                                     "export from ODK Central again and import it as it comes."),
                        name=name) from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error):
        raise _Unusable(gettext_noop("%(name)s is damaged (%(member)s cannot be unpacked). "
                                     "Download it again."),
                        name=name, member=PurePosixPath(member).name) from None


def _link(found: SubmissionFile, repeat_body: list[tuple[int, dict[str, str]]], sheet: str,
          parent_keys: tuple[tuple[str, str], ...]) -> None:
    """Attach repeat rows to their submission (``_parent_index`` → ``_index`` in Kobo's
    workbook, ``PARENT_KEY`` → ``KEY`` in ODK Central's zip)."""
    for child_key, parent_key in parent_keys:
        if child_key in found.repeat_headers and parent_key in found.headers:
            break
    else:
        found.problems.append(RowProblem(
            1, "", Text(gettext_noop("the services rows cannot be linked to their submission "
                                     "(no %(columns)s column); the services were not read"),
                        {"columns": _either([c for c, _ in parent_keys])}),
            sheet=sheet, warning=True))
        return
    parents = {s.values.get(parent_key, ""): s for s in found.submissions}
    for number, values in repeat_body:
        parent = parents.get(values.get(child_key, ""))
        if parent is None:
            found.problems.append(RowProblem(
                number, child_key, Text(gettext_noop("this service belongs to no submission in "
                                                     "the file; ignored")),
                sheet=sheet, warning=True))
            continue
        parent.services.append(RepeatRow(sheet, number, values))


# --------------------------------------------------------------------------- column names


# Headers repeat on every row of a file, so what is worked out from a header is cached: the
# regular-expression splits were a large share of reading a big file.
@lru_cache(maxsize=8192)
def _segments(header: str) -> tuple[str, ...]:
    """A header's group path. ``_`` cannot be split on (item ids hold it), except after the
    metadata groups: ``meta_instanceID`` when ``_`` was chosen as Kobo's group separator."""
    parts = _SPLIT.split(header)
    if len(parts) == 1:
        for group in _METADATA_GROUPS:
            if header.startswith(f"{group}_"):
                return (group, header[len(group) + 1:])
    return tuple(parts)


def _last_segment(header: str) -> str:
    return _segments(header)[-1]


@lru_cache(maxsize=8192)
def _is_metadata(header: str) -> bool:
    if header.startswith("_") or header in _METADATA:
        return True
    segments = _segments(header)
    return segments[0] in _METADATA_GROUPS or segments[-1] in _METADATA


def name_of(header: str, known: Iterable[str]) -> str | None:
    """The known field a header stands for: the header itself, or the known name at the end of
    its group path (``section_a/sc1`` and ``section_a-sc1`` are ``sc1``). The longest match wins,
    so a name that itself holds a ``-`` is never cut short."""
    known = set(known)
    if header in known:
        return header
    best = None
    for name in known:
        if len(header) > len(name) and header.endswith(name) and header[-len(name) - 1] in \
                _SEPARATORS and (best is None or len(name) > len(best)):
            best = name
    return best


def _index(headers: Iterable[str], known: set[str], problems: list[RowProblem],
           instruments: str | Text, *, header_row: int, services: bool = False,
           sheet: str = "") -> dict[str, str]:
    """header → known name, with unknown columns reported as warnings and two columns holding
    the same field reported as an error. ``instruments`` names the instruments the fields come
    from; ``services``: these are the columns of the services section."""
    if services:
        unknown = gettext_noop("not a field of the services section of %(instruments)s; this "
                               "column is ignored")
    else:
        unknown = gettext_noop("not a field of %(instruments)s; this column is ignored")
    names: dict[str, str] = {}
    holder: dict[str, str] = {}
    for header in headers:
        if not header or _is_metadata(header):
            continue
        name = name_of(header, known)
        if name is None:
            problems.append(RowProblem(
                header_row, header, Text(unknown, {"instruments": instruments}),
                sheet=sheet, warning=True))
            continue
        if name in holder:
            problems.append(RowProblem(
                header_row, header,
                Text(gettext_noop("holds '%(field)s' like column %(other)s; keep only one of "
                                  "them"), {"field": name, "other": holder[name]}),
                sheet=sheet))
            continue
        holder[name] = header
        names[header] = name
    return names


def _id_columns(headers: Iterable[str], wanted: Sequence[str]) -> list[str]:
    """The columns that can hold an id, best first."""
    return list(_id_columns_of(tuple(headers), tuple(wanted)))


@lru_cache(maxsize=256)
def _id_columns_of(headers: tuple[str, ...], wanted: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(header for name in wanted for header in headers
                 if header == name or (_last_segment(header) == name and _is_metadata(header)))


def _id_column(headers: Sequence[str], source: Source) -> str | None:
    columns = _id_columns(headers, ID_COLUMNS[source])
    return columns[0] if columns else None


def _submission_id(values: Mapping[str, str], wanted: Sequence[str],
                   missing: str) -> tuple[str, str]:
    """(column, id) of a submission: the first id column that holds a value."""
    columns = _id_columns(values, wanted)
    for column in columns:
        if values[column].strip():
            return column, values[column]
    return (columns[0] if columns else missing), ""


# --------------------------------------------------------------------------- interpreting


def parse_instrument_key(text: str) -> tuple[str, str] | None:
    """``"empowerment-interview@2.0"`` → ``("empowerment-interview", "2.0")``."""
    match = re.fullmatch(r"\s*'?([a-z0-9][a-z0-9_-]*)@([0-9]+(?:\.[0-9]+)*)'?\s*", text or "")
    return (match.group(1), match.group(2)) if match else None


def interpret(
    found: SubmissionFile,
    instruments: Mapping[str, Instrument],
    default_instrument: str | None = None,
    today: date | None = None,
) -> Reading:
    """Turn every submission into an :class:`Interview` for the instrument it declares.

    ``instruments`` maps ``id@version`` to the instrument (normally ``library()``);
    ``default_instrument`` is used for submissions that do not declare one (forms made before
    the ``instrument`` field existed). ``today`` is the latest acceptable interview date.
    """
    today = today or date.today()
    reading = Reading(found, [], list(found.notes), [p for p in found.problems])
    if found.errors:
        return reading
    telling = _tool_column(found.headers)
    if telling and found.source_guessed and found.format == "xlsx":
        # A workbook was taken for KoboToolbox's; its columns say it is ODK Central's (a CSV
        # from Central saved in Excel), whose ids and review column are read differently.
        found.source = telling[0]
    is_json = found.format == "json"
    instrument_header = _header_for(found.headers, INSTRUMENT)
    declared = {s.values.get(instrument_header or "", "") for s in found.submissions}
    used = [instruments[k] for k in sorted(declared | {default_instrument or ""}) if
            k in instruments]
    if not used:
        used = list(instruments.values())
    what = _either([i.key for i in used])
    known = {*CONTRACT_FIELDS, REPEAT} | {item.id for i in used for item in i.items}
    repeat_known = set(SERVICE_FIELDS) | {
        f"{EFFECT_PREFIX}{axis}" for i in used if i.services for axis in i.axis_ids()}
    conditions = {str(o.value) for i in used if i.services for o in i.services.conditions}
    repeat_known |= {f"conditions/{c}" for c in conditions} | {f"conditions-{c}" for c in
                                                                conditions}
    if not is_json:
        missing = [c for c in REQUIRED_COLUMNS if _header_for(found.headers, c) is None]
        if _id_column(found.headers, found.source) is None:
            missing.append(ID_COLUMN_NAMES[found.source])
        if missing:
            reading.problems += [RowProblem(1, column, _missing_column(found, column))
                                 for column in missing]
            return reading
    if telling and telling[0] != found.source:
        # Read as the other tool's file, its ids and reviewers' decisions would be misread
        # (an ODK Central submission rejected by a reviewer would be imported).
        reading.problems.append(RowProblem(1, telling[1], _other_tool(found, telling[0])))
        return reading
    # JSON has no header row: a field is named in each submission (row 0: the whole file).
    header_row = 0 if is_json else 1
    names = _index(found.headers, known, reading.problems, what, header_row=header_row)
    repeat_names = _index(found.repeat_headers, repeat_known, reading.problems, what,
                          header_row=header_row, services=True, sheet=found.repeat_sheet)
    if not found.has_repeat_data and any(i.services for i in used) and found.format == "csv":
        reading.notes.append(Text(gettext_noop(
            "This file has no services data (a plain CSV holds no repeat groups): the interviews "
            "are imported without the services section. To include services, use the Kobo XLSX "
            "export or the KoboToolbox API (JSON), or ODK Central's zip export."
        )))
    elif not found.has_repeat_data and any(i.services for i in used):
        # KoboToolbox adds the services sheet, ODK Central the services file, only when some
        # submission has a service; without one the interviews are complete as they are.
        reading.notes.append(Text(gettext_noop(
            "This file has no services data: either no one recorded a service in these "
            "interviews, or the services sheet or file was removed. Check before importing."
        )))
    for number, submission in enumerate(found.submissions, start=1):
        if number % _CLOCK_EVERY == 0 and found.deadline and found.deadline.passed():
            reading.interviews = []
            reading.problems.append(RowProblem(0, "", too_slow(found.deadline)))
            return reading
        reading.interviews.append(_interview(
            submission, found, names, repeat_names, instruments, default_instrument, today))
    _mark_duplicates(reading.interviews, is_json)
    return reading


def _header_for(headers: Sequence[str], name: str) -> str | None:
    for header in headers:
        if not _is_metadata(header) and name_of(header, {name}) == name:
            return header
    return None


def _other_tool(found: SubmissionFile, tool: Source) -> Text:
    """Why a file is not read as coming from the tool that was chosen."""
    return Text(gettext_noop(
        "This file looks like an export from %(tool)s (only %(tool)s writes this column), "
        "but %(chosen)s was chosen. Nothing was read from it. Choose %(tool)s (on the command "
        "line: empower import %(command)s)."
    ), {"tool": SOURCE_NAMES[tool], "chosen": SOURCE_NAMES[found.source], "command": tool})


def _missing_column(found: SubmissionFile, column: str) -> Text:
    """A column the file lacks, with what probably went wrong when the headers tell."""
    other = _source_of_headers(found.headers)
    if other and other != found.source:
        return Text(gettext_noop("missing column '%(column)s' (this looks like a %(tool)s "
                                 "export: choose %(tool)s)"),
                    {"column": column, "tool": SOURCE_NAMES[other]})
    if found.headers and not any(name_of(h, set(CONTRACT_FIELDS)) for h in found.headers):
        return Text(gettext_noop("missing column '%(column)s' (export with XML names as "
                                 "headers, not labels, from the form Empower wrote)"),
                    {"column": column})
    return Text(gettext_noop("missing column '%(column)s'"), {"column": column})


def _either(names: Sequence[str]) -> str | Text:
    """``a``, ``a or b``, ``a or b or c``: one of these names."""
    joined: str | Text = names[0] if names else ""
    for name in names[1:]:
        joined = Text(gettext_noop("%(first)s or %(second)s"), {"first": joined, "second": name})
    return joined


def _mark_duplicates(interviews: list[Interview], is_json: bool) -> None:
    rows: dict[str, list[int]] = {}
    for interview in interviews:
        if interview.submission_id:
            rows.setdefault(interview.submission_id, []).append(interview.row)
    if is_json:
        template = gettext_noop("duplicate submission id, also in position %(places)s")
    else:
        template = gettext_noop("duplicate submission id, also in row %(places)s")
    for interview in interviews:
        others = [r for r in rows.get(interview.submission_id, []) if r != interview.row]
        if others:
            interview.problems.append(RowProblem(
                interview.row, "", Text(template,
                                        {"places": ", ".join(str(r) for r in others)})))


def normalise_id(text: str) -> str:
    """``uuid:5b8f…`` and ``5b8f…`` are the same submission (Kobo's ``_uuid`` has no prefix)."""
    return text.strip().removeprefix("uuid:")


class _Row:
    """The cells of one submission by field name, with the header each came from."""

    def __init__(self, submission: RawSubmission, names: Mapping[str, str]) -> None:
        self.submission = submission
        self.cells: dict[str, tuple[str, str]] = {}
        for header, value in submission.values.items():
            name = names.get(header)
            if name is not None:
                self.cells.setdefault(name, (header, value))

    def get(self, name: str) -> tuple[str, str]:
        return self.cells.get(name, (name, ""))


def _interview(
    submission: RawSubmission,
    found: SubmissionFile,
    names: Mapping[str, str],
    repeat_names: Mapping[str, str],
    instruments: Mapping[str, Instrument],
    default_instrument: str | None,
    today: date,
) -> Interview:
    row = _Row(submission, names)
    interview = Interview(row=submission.row)
    problems = interview.problems

    def problem(column: str, message: str | Text, **params: Any) -> None:
        text = Text(message, params) if isinstance(message, str) else message
        problems.append(RowProblem(submission.row, column, text))

    missing = ID_COLUMN_NAMES[found.source]
    id_header, raw_id = _submission_id(submission.values, ID_COLUMNS[found.source], missing)
    interview.submission_id = normalise_id(raw_id)
    interview.version_id = normalise_id(_submission_id(
        submission.values, VERSION_ID_COLUMNS[found.source], missing)[1])
    replaces = next((v for h, v in submission.values.items()
                     if _last_segment(h) == REPLACES_COLUMN and _is_metadata(h)), "")
    interview.replaces = normalise_id(replaces)
    if not interview.submission_id:
        problem(id_header, gettext_noop("this submission has no id"))
    elif max(len(i) for i in interview.ids) > MAX_ID_LENGTH:
        problem(id_header, gettext_noop("this submission id is longer than %(limit)s "
                                        "characters; it does not come from KoboToolbox or ODK "
                                        "Central as it is"), limit=MAX_ID_LENGTH)
    interview.rejected = _rejected(submission.values, found.source)
    status = submission.values.get("Status", "").strip().lower()
    if found.source == "odk" and status in UNDECRYPTED:
        problem("Status", gettext_noop("ODK Central could not decrypt this submission, so the "
                                       "file holds none of its answers. Export again from ODK "
                                       "Central and enter the form's passphrase when it asks "
                                       "for it."))
        return interview

    interview.code_column, code = row.get(PARTICIPANT_CODE)
    interview.participant_code = ascii_digits(code.strip().upper())
    if not interview.participant_code:
        problem(interview.code_column, gettext_noop("no participant code"))

    header, key = row.get(INSTRUMENT)
    key = key.strip().strip("'")
    if not key and default_instrument:
        key = default_instrument
    interview.instrument_key = key
    instrument = instruments.get(key)
    if not key:
        problem(header, gettext_noop("the submission does not say which instrument it used; "
                                     "choose the instrument (id@version) for this file"))
    elif instrument is None:
        problem(header, gettext_noop("unknown instrument '%(instrument)s' (known: %(known)s)"),
                instrument=key, known=", ".join(sorted(instruments)))
    interview.instrument = instrument

    header, text = row.get(CONDUCTED_ON)
    interview.conducted_on, message = _date(text, today)
    if message:
        problem(header, message)

    header, language = row.get(LANGUAGE)
    interview.language = language.strip().lower()
    if not interview.language:
        problem(header, gettext_noop("no interview language"))
    elif instrument is not None and interview.language not in instrument.languages:
        problem(header, gettext_noop("'%(language)s' is not a language of %(instrument)s "
                                     "(%(languages)s)"),
                language=language, instrument=instrument.key,
                languages=", ".join(instrument.languages))

    if instrument is not None:
        _answers(interview, instrument, row)
        _services(interview, instrument, submission, repeat_names)
        _validate(interview, instrument, row)
    return interview


def _rejected(values: Mapping[str, str], source: Source) -> str | Text:
    column, refused, reason = REJECTED[source]
    return reason if values.get(column, "").strip().lower() in refused else ""


#: Excel counts days from 1899-12-30 (its serial 60 is a 29 February 1900 that never was, so
#: this holds from March 1900 on; interviews are far later).
_EXCEL_EPOCH = date(1899, 12, 30)


def _date(text: str, today: date) -> tuple[date | None, Text | None]:
    """The interview date from ``2026-03-14`` or a date-time such as
    ``2026-03-14T10:22:01.000+06:00`` (the date as written, in the interview's own time zone),
    or from the day number Excel shows when a date cell lost its format (``46095``)."""
    text = ascii_digits(text.strip())
    if not text:
        return None, Text(gettext_noop("no interview date"))
    if re.fullmatch(r"\d{5}(\.0+)?", text) and 36526 <= float(text) < 73051:
        # 2000-01-01 … 2099-12-31 as an Excel day number: a date cell shown as a number.
        text = (_EXCEL_EPOCH + timedelta(days=int(float(text)))).isoformat()
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                         r"(?:Z|[+-]\d{2}:?\d{2})?)?", text)
    try:
        value = date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        value = None
    if value is None:
        return None, Text(gettext_noop("'%(value)s' is not a date; write it as YYYY-MM-DD "
                                       "(e.g. 2026-03-14)"), {"value": text})
    # One day of grace: a phone ahead of the server's time zone is already on tomorrow.
    if value > today + timedelta(days=1):
        return None, Text(gettext_noop("the interview date %(date)s is in the future"),
                          {"date": value.isoformat()})
    return value, None


def _allowed(scale: ResponseScale) -> str:
    values = [str(o.value) for o in scale.options]
    if scale.prefer_not_to_say:
        values.append(PREFER_NOT_TO_SAY)
    return ", ".join(values)


def _scale_value(scale: ResponseScale, text: str) -> tuple[int | str | None, Text | None]:
    """The scale option a text stands for (``"7"`` → ``7``), or why there is none."""
    text = ascii_digits(text.strip())
    if re.fullmatch(r"[+-]?\d+\.0+", text):
        text = text.split(".")[0]  # 7.0: a number re-saved by a spreadsheet
    if text.startswith("+") and text[1:].isdigit():
        text = text[1:]  # +1 on the effect scale, as a spreadsheet may show it
    for option in scale.options:
        if str(option.value) == text:
            return option.value, None
    if text == PREFER_NOT_TO_SAY and scale.prefer_not_to_say:
        return PREFER_NOT_TO_SAY, None
    return None, Text(gettext_noop("'%(value)s' is not an answer on scale '%(scale)s' "
                                   "(allowed: %(allowed)s)"),
                      {"value": text, "scale": scale.id, "allowed": _allowed(scale)})


def _answers(interview: Interview, instrument: Instrument, row: _Row) -> None:
    for item in instrument.items:
        header, text = row.get(item.id)
        if not text.strip():
            continue
        if item.kind == "text":
            interview.narratives[item.id] = text.strip()
            continue
        assert item.scale is not None
        value, message = _scale_value(instrument.scales[item.scale], text)
        if message:
            interview.problems.append(RowProblem(interview.row, header, message))
        else:
            interview.answers[item.id] = value


#: Why a value is not one of the choices, by what is chosen.
_UNKNOWN_OPTION = {
    "service": gettext_noop("unknown service '%(value)s' (allowed: %(allowed)s)"),
    "provider": gettext_noop("unknown provider '%(value)s' (allowed: %(allowed)s)"),
    "condition": gettext_noop("unknown condition '%(value)s' (allowed: %(allowed)s)"),
}
#: Why a service entry is incomplete, by what is missing.
_NOTHING_CHOSEN = {
    "service": gettext_noop("no service chosen"),
    "provider": gettext_noop("no provider chosen"),
}


def _option(options: Sequence[Option], text: str, what: str) -> tuple[str | None, Text | None]:
    for option in options:
        if str(option.value) == text:
            return str(option.value), None
    allowed = ", ".join(str(o.value) for o in options)
    return None, Text(_UNKNOWN_OPTION[what], {"value": text, "allowed": allowed})


def _services(interview: Interview, instrument: Instrument, submission: RawSubmission,
              names: Mapping[str, str]) -> None:
    entries = [e for e in submission.services if any(v.strip() for k, v in e.values.items()
                                                     if k in names)]
    if not entries:
        return
    block = instrument.services
    if block is None:
        interview.problems.append(RowProblem(interview.row, REPEAT, ngettext_lazy(
            "%(instrument)s has no services section, but this submission lists %(number)s "
            "service",
            "%(instrument)s has no services section, but this submission lists %(number)s "
            "services", len(entries), {"instrument": instrument.key})))
        return
    effect_scale = instrument.scales[block.effect_scale]
    for entry in entries:
        cells = {names[h]: (h, v.strip()) for h, v in entry.values.items() if h in names}
        problems: list[RowProblem] = []

        def problem(header: str, message: Text, entry: RepeatRow = entry,
                    problems: list[RowProblem] = problems) -> None:
            column = f"{header} ({entry.label})" if entry.label else header
            problems.append(RowProblem(entry.row, column, message, sheet=entry.sheet))

        record: dict[str, Any] = {}
        for key, options, what in (("service_type", block.service_types, "service"),
                                   ("provider_type", block.provider_types, "provider")):
            header, text = cells.get(key, (key, ""))
            if not text:
                problem(header, Text(_NOTHING_CHOSEN[what]))
                continue
            record[key], message = _option(options, text, what)
            if message:
                problem(header, message)
        header, text = cells.get("respected_wishes", ("respected_wishes", ""))
        wishes = {"yes": True, "no": False, "": None, PREFER_NOT_TO_SAY: None, "unsure": None}
        if text.lower() in wishes:
            record["respected_wishes"] = wishes[text.lower()]
        else:
            problem(header, Text(gettext_noop("'%(value)s' is not an answer here (allowed: "
                                              "%(allowed)s)"),
                                 {"value": text, "allowed": f"yes, no, {PREFER_NOT_TO_SAY}"}))
        record["conditions"] = _conditions(block.conditions, cells, problem)
        effects: dict[str, Any] = {}
        for axis in instrument.axis_ids():
            header, text = cells.get(f"{EFFECT_PREFIX}{axis}", (f"{EFFECT_PREFIX}{axis}", ""))
            value, message = _scale_value(effect_scale, text) if text else (None, None)
            if message:
                problem(header, message)
            effects[axis] = value
        record["effects"] = effects
        if problems:
            interview.problems += problems
        else:
            interview.services.append(record)


def _conditions(options: Sequence[Option], cells: Mapping[str, tuple[str, str]],
                problem: Any) -> list[str]:
    """A select_multiple: space-separated values, or (when a tool exported one column per
    choice) the choices whose column holds 1."""
    chosen: list[str] = []
    if "conditions" in cells:
        header, text = cells["conditions"]
        for part in text.split():
            value, message = _option(options, part, "condition")
            if message:
                problem(header, message)
            elif value not in chosen:
                chosen.append(value)
        return chosen
    for name, (_header, text) in cells.items():
        if name.startswith("conditions") and text.lower() in _TRUE:
            chosen.append(name[len("conditions") + 1:])
    return [c for c in (str(o.value) for o in options) if c in chosen]


def _validate(interview: Interview, instrument: Instrument, row: _Row) -> None:
    """The instrument's own rules (required questions …), on the values that converted
    cleanly; values that did not are already reported (and not again as "no answer")."""
    reported = {p.column for p in interview.problems}
    for found in validate_answers(instrument, {**interview.answers, **interview.narratives},
                                  interview.services):
        header = row.get(found.field)[0] if found.field in {i.id for i in instrument.items} \
            else found.field
        if header not in reported:
            interview.problems.append(RowProblem(interview.row, header, found.message))


__all__ = [
    "CONTRACT_FIELDS",
    "FORMAT_NAMES",
    "ID_COLUMNS",
    "MAX_ROWS",
    "MAX_TABLE_BYTES",
    "MAX_UNPACKED_BYTES",
    "SOURCES",
    "SOURCE_NAMES",
    "Deadline",
    "Interview",
    "Limits",
    "RawSubmission",
    "Reading",
    "RepeatRow",
    "RowProblem",
    "SubmissionFile",
    "interpret",
    "name_of",
    "normalise_id",
    "parse_instrument_key",
    "read_submissions",
    "too_slow",
]
