"""Read reference-manager and database exports (RIS, BibTeX, CSV) into :class:`Record` lists.

Every reader counts the entries a file holds in a second, independent way (RIS: lines that
look like ``TY  -``; BibTeX: ``@type{`` entry starts other than ``@comment``, ``@string`` and
``@preamble``; CSV: non-empty data rows) and compares that count with the records it could
read. If they differ it raises :class:`ImportCountMismatch`, naming each entry that was lost
by its position and line, unless the caller passes ``allow_partial=True``; then
:attr:`ImportResult.problems` still names every entry that could not be read. A record is
never dropped silently: a review must be able to say how many hits each source gave
(PRISMA 2020, item 16a) and that number must be what the database exported.

Positions are 1-based ordinals of the entries as the independent count finds them, so the
``n``-th ``TY`` line, the ``n``-th ``@article{`` or the ``n``-th data row is position ``n``
whether or not it could be read; :attr:`Record.position` carries it and ``raw["line"]`` the
line where the entry starts.

Example
-------
>>> result = read_ris("TY  - JOUR\\nTI  - Survivor-led groups\\nPY  - 2019///\\nER  - \\n",
...                   source="Scopus")
>>> result.records[0].title, result.records[0].year, result.expected
('Survivor-led groups', 2019, 1)
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .records import Record

Flavour = Literal["scopus", "publish_or_perish", "generic"]
Format = Literal["ris", "bibtex", "csv"]

#: Cell values that mean "no value" in the exports we read (R's ``NA``, Scopus' placeholders).
MISSING = frozenset(
    {"", "na", "n/a", "[no abstract available]", "[no author name available]", "none"}
)

#: A DOI inside free text or a URL (Crossref's recommended pattern, slightly relaxed).
DOI_PATTERN = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_DOI_MARKED = re.compile(r"(?:doi\.org/|doi:\s*|\bdoi\s+)(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


class ImportFailed(ValueError):
    """The file cannot be imported as a whole (unknown format, broken CSV quoting …)."""


class ImportCountMismatch(ImportFailed):
    """The importer read a different number of records than the file holds.

    ``result`` is the partial :class:`ImportResult`; ``result.lost`` names what was lost.
    """

    def __init__(self, result: ImportResult):
        self.result = result
        named = [f"entry {p.position} (line {p.line}): {p.message}" for p in result.lost]
        more = f"; and {len(named) - 20} more" if len(named) > 20 else ""
        lost = "; ".join(named[:20]) + more or "no entry could be pinned down"
        super().__init__(
            f"{result.source}: read {len(result.records)} records but the file holds "
            f"{result.expected} ({result.format}); lost: {lost}"
        )


@dataclass(frozen=True)
class ImportProblem:
    """Something worth telling about one entry (or, with position 0, the whole file).

    ``lost`` is true when the entry could not be read at all; otherwise the record was read
    and the problem is a warning (a missing ``ER`` tag, a duplicate BibTeX key …).
    """

    position: int
    line: int
    field: str
    message: str
    lost: bool = False


@dataclass
class ImportResult:
    """Records read from one file, the independent count of entries, and what went wrong."""

    records: list[Record]
    expected: int
    problems: list[ImportProblem]
    source: str
    format: str = ""
    encoding: str = ""

    @property
    def lost(self) -> list[ImportProblem]:
        """Problems naming entries that could not be read."""
        return [p for p in self.problems if p.lost]

    @property
    def complete(self) -> bool:
        return len(self.records) == self.expected

    def summary(self) -> str:
        """One line for a log or an import screen."""
        text = f"{self.source}: {len(self.records)} of {self.expected} records ({self.format}"
        text += f", {self.encoding})" if self.encoding else ")"
        if self.problems:
            text += f", {len(self.lost)} lost, {len(self.problems) - len(self.lost)} warnings"
        return text


def counts_by_source(results: Iterable[ImportResult]) -> dict[str, int]:
    """Records read per source over several imports, for the PRISMA "identified" box."""
    counts: Counter[str] = Counter()
    for result in results:
        for record in result.records:
            counts[record.source or result.source] += 1
    return dict(counts)


# --------------------------------------------------------------------------- text decoding

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode(data: bytes | str) -> tuple[str, str]:
    """Text of an export and the encoding used to read it.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); UTF-16 without one is recognised by its
    NUL bytes; otherwise strict UTF-8, then strict cp1252 (Windows exports, EndNote), then
    latin-1, which accepts any bytes. Strict decoding means a file is never half-garbled: it is
    read whole in the first encoding that fits.
    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "str"
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    head = data[:400]
    if head and head.count(0) > len(head) // 4:
        odd_nuls = head[1::2].count(0)
        guess = "utf-16-le" if odd_nuls > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(guess), guess
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: try the byte encodings
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _lines(text: str) -> list[str]:
    # Not str.splitlines: that also splits on form feeds and U+2028 inside abstracts.
    return re.split(r"\r\n|\r|\n", text)


# --------------------------------------------------------------------------- field helpers


def _clean(value: str | None) -> str:
    if value is None:
        return ""
    value = re.sub(r"\s+", " ", str(value)).strip()
    return "" if value.casefold() in MISSING else value


def find_doi(*texts: str, marked_only: bool = False) -> str:
    """The first DOI in the texts, as written (without ``https://doi.org/`` or ``doi:``).

    With ``marked_only`` a DOI counts only when introduced by ``doi.org/`` or ``doi:``, so a
    note that merely cites another paper's DOI is not taken for the record's own.
    """
    for text in texts:
        if not text:
            continue
        match = _DOI_MARKED.search(text)
        if match is None and not marked_only:
            match = DOI_PATTERN.search(text)
        if match:
            doi = match.group(1) if match.re is _DOI_MARKED else match.group(0)
            return doi.rstrip(".,;)]}")
    return ""


def parse_year(*texts: str) -> int | None:
    """The first plausible four-digit year: ``"2019///"``, ``"2019/05/01"``, ``"May 2019"``."""
    for text in texts:
        match = _YEAR.search(text or "")
        if match:
            return int(match.group(1))
    return None


def split_authors(text: str) -> list[str]:
    """Split an author cell into names, keeping each name as written.

    ``"Reimer, E J; Dunn, G S"`` (semicolons: PubMed, Scopus since 2023, Web of Science),
    ``"Smith J., Jones A.B."`` (older Scopus), ``"J Smith, A Doe"`` (Publish or Perish),
    ``"Smith, John and Doe, Jane"`` (BibTeX); a lone ``"Smith, John"`` is one author.
    ``et al.`` and trailing ellipses are dropped.
    """
    text = _clean(text).replace("…", "").strip(" ,;")
    if not text:
        return []
    if ";" in text:
        parts = text.split(";")
    else:
        parts = [
            name
            for part in re.split(r"\s*,?\s+and\s+", text, flags=re.IGNORECASE)
            for name in _split_on_commas(part)
        ]
    names = [_clean(p) for p in parts]
    return [n for n in names if n and not re.fullmatch(r"(et\.? al\.?|others|\.\.\.)", n, re.I)]


def _split_on_commas(text: str) -> list[str]:
    pieces = [p.strip() for p in text.split(",") if p.strip()]
    paired = len(pieces) % 2 == 0 and all(
        len(p.split()) == 1 or _only_initials(p) for p in pieces[1::2]
    )
    if len(pieces) > 1 and paired and all(not _only_initials(p) for p in pieces[::2]):
        # "Smith, John, Doe, Jane", "Canseco Villarreal, J I"
        return [f"{a}, {b}" for a, b in zip(pieces[::2], pieces[1::2], strict=True)]
    if len(pieces) > 1 and all(len(p.split()) >= 2 for p in pieces):
        return pieces  # "Smith J., Jones A.B." or "J Smith, A Doe"
    return [text]


def _only_initials(text: str) -> bool:
    return bool(re.fullmatch(r"(?:[A-Z]\.?[- ]?){1,4}", text.strip()))


def split_keywords(text: str) -> list[str]:
    """Keywords separated by semicolons (commas stay: MeSH terms contain them)."""
    return [k for k in (_clean(p) for p in (text or "").split(";")) if k]


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out


def _is_empty(record: Record) -> bool:
    return not (record.title or record.authors or record.abstract or record.doi)


def _finish(
    records: list[Record],
    expected: int,
    problems: list[ImportProblem],
    source: str,
    format: str,
    encoding: str,
    allow_partial: bool,
) -> ImportResult:
    problems.sort(key=lambda p: (p.line, p.position))
    result = ImportResult(records, expected, problems, source, format, encoding)
    if len(records) != expected:
        if not result.lost:
            problems.append(ImportProblem(
                0, 0, "", f"the file holds {expected} entries by an independent count but "
                f"{len(records)} were read", lost=True,
            ))
        if not allow_partial:
            raise ImportCountMismatch(result)
    return result


# --------------------------------------------------------------------------- RIS

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?:\s(.*))?$")
_RIS_START_LOOSE = re.compile(r"^\s*TY\s*-")
_RIS_TITLE = ("TI", "T1", "CT", "BT")
_RIS_ABSTRACT = ("AB", "N2")
_RIS_AUTHORS = ("AU", "A1")
_RIS_YEAR = ("PY", "Y1", "DA")
_RIS_JOURNAL = ("JF", "T2", "JO", "JA", "J2")
_RIS_ID = ("AN", "ID")


@dataclass
class _RisEntry:
    line: int
    tags: list[list[str]] = field(default_factory=list)

    def values(self, *tags: str) -> list[str]:
        return [v for t, v in self.tags if t in tags and v]

    def first(self, *tags: str) -> str:
        for tag in tags:  # in order of preference, not of appearance
            found = self.values(tag)
            if found:
                return found[0]
        return ""


def read_ris(
    data: bytes | str, source: str, *, allow_partial: bool = False
) -> ImportResult:
    """Read a RIS export (EndNote, Zotero, Scopus, Ovid, ProQuest, EBSCO …).

    Tolerates what real exports do: a byte-order mark, UTF-16, cp1252 or latin-1, CRLF or CR
    line ends, tag lines with one or two spaces before the dash and trailing spaces
    (``"TI  - "``), untagged continuation lines (EndNote's multi-line abstracts), blank
    lines inside a record and a missing final ``ER`` (Ovid). Field choice, first found wins:
    title ``TI, T1`` (else ``CT, BT``), abstract ``AB, N2``, authors ``AU, A1`` (``A2``,
    editors, only when neither exists), year ``PY, Y1, DA``, journal ``JF, T2, JO, JA, J2``,
    DOI ``DO`` else one marked as a DOI in ``UR, M3, N1, L3, L2``, keywords ``KW``,
    ``source_id`` ``AN`` else ``ID``. ``raw`` keeps every tag as a list of values.
    """
    text, encoding = decode(data)
    lines = _lines(text)
    starts = [n for n, line in enumerate(lines, 1) if _RIS_START_LOOSE.match(line)]
    position_of = {line: pos for pos, line in enumerate(starts, 1)}
    problems: list[ImportProblem] = []
    entries: list[_RisEntry] = []
    current: _RisEntry | None = None

    def warn(line: int, tag: str, message: str) -> None:
        pos = position_of.get(current.line, 0) if current else 0
        problems.append(ImportProblem(pos, line, tag, message))

    for number, line in enumerate(lines, 1):
        match = _RIS_TAG.match(line.rstrip())
        if match:
            tag, value = match.group(1), (match.group(2) or "").strip()
            if tag == "TY":
                if current is not None:
                    warn(number, "ER", f"record starting on line {current.line} has no ER")
                current = _RisEntry(number, [["TY", value]])
                entries.append(current)
            elif tag == "ER":
                current = None
            elif current is None:
                problems.append(ImportProblem(0, number, tag, "tag outside any record ignored"))
            else:
                current.tags.append([tag, value])
        elif not line.strip():
            continue  # blank lines inside records (Ovid) and between them
        elif number in position_of:
            current = None  # a malformed record start: reported as lost below
        elif current is not None:
            current.tags[-1][1] = f"{current.tags[-1][1]} {line.strip()}".strip()
        elif entries:
            problems.append(ImportProblem(0, number, "", "text between records ignored"))
    if current is not None:
        warn(len(lines), "ER", "last record has no ER (end of file)")

    records = []
    for entry in entries:
        position = position_of.get(entry.line, 0)
        record = _ris_record(entry, source, position)
        if _is_empty(record):
            problems.append(ImportProblem(
                position, entry.line, "", "record has no title, authors, abstract or DOI",
                lost=True,
            ))
        else:
            records.append(record)
    read_lines = {entry.line for entry in entries}
    for start in starts:
        if start not in read_lines:
            problems.append(ImportProblem(
                position_of[start], start, "TY",
                "looks like a record start but is not a valid RIS tag line", lost=True,
            ))
    return _finish(records, len(starts), problems, source, "ris", encoding, allow_partial)


def _ris_record(entry: _RisEntry, source: str, position: int) -> Record:
    title = entry.first("TI", "T1") or entry.first(*_RIS_TITLE[2:])
    authors = entry.values(*_RIS_AUTHORS) or entry.values("A2")
    keywords = [k for kw in entry.values("KW") for k in (split_keywords(kw) or [kw])]
    doi = _clean(entry.first("DO"))
    doi = find_doi(doi) or doi or find_doi(
        *entry.values("UR", "M3", "N1", "L3", "L2"), marked_only=True
    ) or find_doi(*entry.values("M3"))
    raw: dict[str, Any] = {}
    for tag, value in entry.tags:
        raw.setdefault(tag, []).append(value)
    raw["line"] = entry.line
    return Record(
        title=_clean(title),
        abstract=_clean(entry.first(*_RIS_ABSTRACT)),
        authors=[a for a in (_clean(a) for a in authors) if a],
        year=parse_year(*(entry.first(t) for t in _RIS_YEAR)),
        journal=_clean(entry.first(*_RIS_JOURNAL)),
        doi=doi,
        keywords=_unique(keywords),
        source=source,
        source_id=_clean(entry.first(*_RIS_ID)),
        record_type=_clean(entry.first("TY")),
        raw=raw,
        position=position,
    )


# --------------------------------------------------------------------------- BibTeX

_BIB_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.MULTILINE)
_BIB_NOT_ENTRIES = {"comment", "string", "preamble"}


@functools.cache
def _latex_decoder() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim")


def _latex_to_text(value: str) -> str:
    # A bare % would start a LaTeX comment and swallow the rest of a title ("50% of …").
    value = re.sub(r"(?<!\\)%", r"\\%", value)
    text = _latex_decoder().latex_to_text(value)
    return _clean(text.replace("{", "").replace("}", ""))


def read_bibtex(
    data: bytes | str, source: str, *, allow_partial: bool = False
) -> ImportResult:
    """Read a BibTeX or BibLaTeX file with ``bibtexparser`` (v2).

    Entries the parser could not read (``library.failed_blocks``) are reported with their
    line and the parser's message. An entry whose key repeats an earlier one is still read,
    with a warning: merged bibliographies often repeat keys for different works. LaTeX in
    titles, authors, journals, abstracts and keywords is turned into text (``{\\"u}`` → ü,
    ``{Europe}`` → Europe); DOIs and URLs are left alone (``%`` and ``_`` are literal
    there). Authors are split on ``and``; ``others`` is dropped. The year comes from
    ``year`` or BibLaTeX's ``date``, the journal from ``journal``, ``journaltitle`` or
    ``booktitle``; ``source_id`` is the citation key.
    """
    import bibtexparser
    from bibtexparser import model

    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    starts = [
        text.count("\n", 0, m.start()) + 1
        for m in _BIB_START.finditer(text)
        if m.group(1).lower() not in _BIB_NOT_ENTRIES
    ]
    position_of = {line: pos for pos, line in enumerate(starts, 1)}
    try:
        library = bibtexparser.parse_string(text)
    except Exception as error:  # the parser gives up on states it cannot recover from
        raise ImportFailed(f"{source}: the BibTeX parser gave up: {error!r}") from error
    problems: list[ImportProblem] = []
    records: list[Record] = []
    seen_lines: set[int] = set()
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        position = position_of.get(line, 0)
        entry: Any = block
        if isinstance(block, model.ParsingFailedBlock):
            message = _bib_error(block.error)
            entry = block.ignore_error_block
            if isinstance(entry, model.Entry):  # duplicate key, unresolved @string …
                problems.append(ImportProblem(position, line, "", f"{message}; read anyway"))
            else:
                seen_lines.add(line)
                problems.append(ImportProblem(position, line, "", message, lost=bool(position)))
        if isinstance(entry, model.Entry):
            seen_lines.add(line)
            record = _bib_record(entry, source, position, line)
            if _is_empty(record):
                problems.append(ImportProblem(
                    position, line, "",
                    f"entry {entry.key!r} has no title, authors, abstract or DOI", lost=True,
                ))
            else:
                records.append(record)
    for line in starts:
        if line not in seen_lines:
            problems.append(ImportProblem(
                position_of[line], line, "", "entry start not recognised by the parser", lost=True
            ))
    return _finish(records, len(starts), problems, source, "bibtex", encoding, allow_partial)


def _bib_error(error: Exception | None) -> str:
    text = str(getattr(error, "abort_reason", "") or error or "").strip()
    return text.splitlines()[0] if text else "unreadable entry"


def _bib_record(entry: Any, source: str, position: int, line: int) -> Record:
    fields = {f.key.lower(): str(f.value) for f in entry.fields}

    def text(*keys: str) -> str:
        for key in keys:
            if fields.get(key, "").strip():
                return _latex_to_text(fields[key])
        return ""

    authors = [
        _latex_to_text(a)
        for a in re.split(r"\s+and\s+", fields.get("author", "") or fields.get("editor", ""))
    ]
    keywords = re.split(r"[;,]", text("keywords"))
    raw: dict[str, Any] = dict(fields)
    raw.update({"entry_type": entry.entry_type, "key": entry.key, "line": line})
    return Record(
        title=text("title"),
        abstract=text("abstract"),
        authors=[a for a in authors if a and a.lower() != "others"],
        year=parse_year(fields.get("year", ""), fields.get("date", "")),
        journal=text("journal", "journaltitle", "booktitle"),
        doi=find_doi(fields.get("doi", "").replace("\\_", "_")) or _clean(fields.get("doi"))
        or find_doi(fields.get("url", ""), fields.get("note", ""), marked_only=True),
        keywords=_unique(_clean(k) for k in keywords),
        source=source,
        source_id=entry.key,
        record_type=entry.entry_type.lower(),
        raw=raw,
        position=position,
    )


# --------------------------------------------------------------------------- CSV

#: Column → Record field for a Scopus CSV export.
SCOPUS_MAPPING = {
    "Title": "title",
    "Abstract": "abstract",
    "Authors": "authors",
    "Year": "year",
    "Source title": "journal",
    "DOI": "doi",
    "Author Keywords": "keywords",
    "Index Keywords": "keywords",
    "EID": "source_id",
    "Document Type": "record_type",
}

#: Column → Record field for a Publish or Perish CSV export (Google Scholar, Crossref …).
#: Publish or Perish gives no stable identifier, so ``source_id`` stays empty.
PUBLISH_OR_PERISH_MAPPING = {
    "Title": "title",
    "Abstract": "abstract",
    "Authors": "authors",
    "Year": "year",
    "Source": "journal",
    "DOI": "doi",
    "Type": "record_type",
}

#: Column → Record field for the labelled screening sets (``pubmedID, title, keywords,
#: authors, abstracts, label1, label2``); the labels stay in ``raw``.
SCREENING_MAPPING = {
    "pubmedID": "source_id",
    "title": "title",
    "keywords": "keywords",
    "authors": "authors",
    "abstracts": "abstract",
}

#: Header names recognised for a generic CSV without a mapping (compared without case,
#: spaces or punctuation), in order of preference; covers Web of Science tab-delimited tags.
GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "articletitle", "documenttitle", "primarytitle", "ti"),
    "abstract": ("abstract", "abstracts", "summary", "ab"),
    "authors": ("authors", "author", "authorfullnames", "au", "af"),
    "year": ("year", "publicationyear", "pubyear", "py", "date"),
    "journal": ("journal", "sourcetitle", "journaltitle", "publicationtitle", "source", "so"),
    "doi": ("doi", "di"),
    "keywords": ("keywords", "authorkeywords", "de", "kw"),
    "source_id": ("id", "pubmedid", "pmid", "accessionnumber", "eid", "ut", "an", "key"),
    "record_type": ("type", "documenttype", "publicationtype", "itemtype", "dt"),
}

_FIELDS = {"title", "abstract", "authors", "year", "journal", "doi", "keywords", "source_id",
           "record_type"}


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def detect_flavour(header: list[str]) -> Flavour:
    """``"scopus"`` (has ``EID`` and ``Source title``), ``"publish_or_perish"`` (``Cites``
    with ``GSRank`` or ``ArticleURL``) or ``"generic"``."""
    names = {_squash(h) for h in header}
    if {"eid", "sourcetitle"} <= names:
        return "scopus"
    if "cites" in names and names & {"gsrank", "articleurl"}:
        return "publish_or_perish"
    return "generic"


def _generic_mapping(header: list[str]) -> dict[str, str]:
    by_name = {_squash(h): h for h in header}
    mapping = {}
    for target, aliases in GENERIC_ALIASES.items():
        for alias in aliases:
            column = by_name.get(alias)
            if column is not None and column not in mapping:
                mapping[column] = target
                break
    return mapping


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    data: bytes | str,
    source: str,
    mapping: Mapping[str, str] | None = None,
    flavour: Flavour | None = None,
    *,
    allow_partial: bool = False,
) -> ImportResult:
    """Read a CSV (or semicolon- or tab-delimited) export.

    ``mapping`` maps column names to :class:`Record` fields (``title``, ``abstract``,
    ``authors``, ``year``, ``journal``, ``doi``, ``keywords``, ``source_id``,
    ``record_type``), like ``DataFrame.rename(columns=…)``; several columns may feed
    ``keywords``. Without a mapping the ``flavour`` decides (detected from the header when not
    given): :data:`SCOPUS_MAPPING`, :data:`PUBLISH_OR_PERISH_MAPPING`, or for ``"generic"`` the
    header names in :data:`GENERIC_ALIASES`. Every column is kept in ``raw``.

    A data row is unreadable when its number of cells differs from the header's (quoting is
    broken and the cells cannot be trusted), when a cell holds several lines that each look
    like a whole row (an unbalanced quote swallowed them), or when it has no title, authors,
    abstract or DOI.
    """
    text, encoding = decode(data)
    delimiter = _delimiter(_lines(text)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFailed(f"{source}: the CSV file is empty") from None
    except csv.Error as error:
        raise ImportFailed(f"{source}: header unreadable: {error}") from None

    if mapping is None:
        flavour = flavour or detect_flavour(header)
        mapping = {
            "scopus": SCOPUS_MAPPING,
            "publish_or_perish": PUBLISH_OR_PERISH_MAPPING,
        }.get(flavour) or _generic_mapping(header)
    _check_mapping(mapping, header, source)

    records: list[Record] = []
    problems: list[ImportProblem] = []
    position = 0
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ImportFailed(
                f"{source}: CSV unreadable from line {line}: {error} (an unbalanced quote?)"
            ) from None
        row_line, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        position += 1
        trouble = _row_trouble(cells, header, delimiter)
        if trouble:
            problems.append(ImportProblem(position, row_line, "", trouble, lost=True))
            continue
        row = dict(zip(header, cells, strict=False))
        record = _csv_record(row, mapping, source, position, row_line)
        if _is_empty(record):
            problems.append(ImportProblem(
                position, row_line, "", "row has no title, authors, abstract or DOI", lost=True
            ))
        else:
            records.append(record)
    return _finish(records, position, problems, source, "csv", encoding, allow_partial)


def _check_mapping(mapping: Mapping[str, str], header: list[str], source: str) -> None:
    known = ", ".join(sorted(_FIELDS - {"record_type"}))
    columns = ", ".join(f"“{column}”" for column in header if column) or "none"
    unknown = sorted(set(mapping.values()) - _FIELDS)
    if unknown:
        raise ImportFailed(
            f"{source}: {', '.join(unknown)} is not a field Empower knows. After the "
            f"column's name and =, write one of: {known}."
        )
    if "title" not in mapping.values():
        example = next((column for column in header if column), "Article Title")
        raise ImportFailed(
            f"{source}: no title column found. The file's columns are {columns}. Say which "
            f"column holds the titles, for example “{example} = title” (one column a line; "
            f"add the other columns the same way)."
        )
    if not any(c in header for c, target in mapping.items() if target == "title"):
        titles = ", ".join(f"“{c}”" for c, target in mapping.items() if target == "title")
        raise ImportFailed(
            f"{source}: the titles should be in the column {titles}, but the file has no "
            f"column of that name. Its columns are {columns}; copy the name exactly."
        )


def _row_trouble(cells: list[str], header: list[str], delimiter: str) -> str:
    if len(header) > 2:
        for cell in cells:
            swallowed = [
                part for part in cell.split("\n")[1:]
                if part.count(delimiter) >= len(header) - 1
            ]
            if swallowed:
                return (f"a cell spans {len(swallowed)} more lines that look like whole rows "
                        "(an unbalanced quote?)")
    extra = cells[len(header):]
    if len(cells) < len(header) or any(c.strip() for c in extra):
        return f"row has {len(cells)} cells, the header {len(header)} (broken quoting?)"
    return ""


def _csv_record(
    row: dict[str, str], mapping: Mapping[str, str], source: str, position: int, line: int
) -> Record:
    values: dict[str, list[str]] = {}
    for column, target in mapping.items():
        if column in row:
            values.setdefault(target, []).append(row[column])

    def one(name: str) -> str:
        return next((_clean(v) for v in values.get(name, []) if _clean(v)), "")

    doi = one("doi")
    doi = find_doi(doi) or doi
    if not doi:
        doi = find_doi(*(row.get(c, "") for c in ("ArticleURL", "Link", "URL", "url")),
                       marked_only=True)
    raw: dict[str, Any] = dict(row)
    raw["line"] = line
    return Record(
        title=one("title"),
        abstract=one("abstract"),
        authors=split_authors(one("authors")),
        year=parse_year(one("year")),
        journal=one("journal"),
        doi=doi,
        keywords=_unique(k for v in values.get("keywords", []) for k in split_keywords(v)),
        source=source,
        source_id=one("source_id"),
        record_type=one("record_type"),
        raw=raw,
        position=position,
    )


# --------------------------------------------------------------------------- any file


def sniff_format(text: str, name: str = "") -> Format:
    """Guess the format from the file name, then from the content."""
    suffix = Path(name).suffix.lower()
    by_suffix: dict[str, Format] = {
        ".ris": "ris", ".enw": "ris", ".nbib": "ris", ".bib": "bibtex", ".bibtex": "bibtex",
        ".csv": "csv", ".tsv": "csv",
    }
    if suffix in by_suffix:
        return by_suffix[suffix]
    head = text[:20000]
    if re.search(r"^TY {1,2}-", head, re.MULTILINE):
        return "ris"
    if _BIB_START.search(head):
        return "bibtex"
    return "csv"


def read_file(
    path: str | Path,
    source: str,
    format: Format | None = None,
    *,
    allow_partial: bool = False,
    **options: Any,
) -> ImportResult:
    """Read an export file, choosing the reader by ``format``, extension or content.

    ``options`` go to :func:`read_csv` (``mapping``, ``flavour``).
    """
    path = Path(path)
    data = path.read_bytes()
    chosen = format or sniff_format(decode(data)[0], path.name)
    if chosen == "ris":
        return read_ris(data, source, allow_partial=allow_partial)
    if chosen == "bibtex":
        return read_bibtex(data, source, allow_partial=allow_partial)
    if chosen == "csv":
        return read_csv(data, source, allow_partial=allow_partial, **options)
    raise ImportFailed(f"{path}: unknown format {chosen!r}")
