"""PRISMA 2020 flow-diagram counts, computed from a review's decision log.

Every number in the flow diagram is counted from what happened to each record; none is typed
in. The site feeds a *decision log*: a list of small events, one per thing that happened to a
record, holding only **resolved** decisions – the final title/abstract decision after
reviewers' disagreements were settled, not each reviewer's vote. Each hit read from a search
export is its own record (its own ``record_id``); a hit that repeats another one is removed as
a duplicate, it is not identified twice.

The boxes are those of the PRISMA 2020 flow diagram for new systematic reviews which included
searches of databases, registers and other sources (Page et al. 2021, BMJ 372:n71, figure 1):

====================================  ==========================  ===========================
box                                   databases and registers     other methods
====================================  ==========================  ===========================
Records identified from               ``databases``,              ``other_sources``
                                      ``registers`` (per source)  (per source)
Records removed before screening      ``duplicates``,             –
                                      ``automation``,
                                      ``removed_other``
Records screened / excluded           ``records_screened``,       –
                                      ``records_excluded``
Reports sought for retrieval          ``dbr_sought``              ``other_sought``
Reports not retrieved                 ``dbr_not_retrieved``       ``other_not_retrieved``
Reports assessed for eligibility      ``dbr_assessed``            ``other_assessed``
Reports excluded (reason → n)         ``dbr_excluded``            ``other_excluded``
Studies included / reports of them    ``studies_included``,       (one box for both)
                                      ``reports_included``
====================================  ==========================  ===========================

A record's path through the log, by column:

* databases and registers: :class:`Identified` → either :class:`RemovedBeforeScreening` or
  :class:`ScreenDecision`; if included at screening → :class:`SoughtForRetrieval` → either
  :class:`NotRetrieved` or :class:`FullTextDecision`; if eligible → :class:`Included`.
* other methods (websites, organisations, citation searching …): :class:`Identified` →
  (optionally) :class:`SoughtForRetrieval` → either :class:`NotRetrieved` or
  :class:`FullTextDecision`; if eligible → :class:`Included`. The 2020 template has no removal
  or screening boxes in this column, so such events on an other-methods record are reported as
  problems; a record found by other methods and never sought simply has no further events.

:func:`prisma_counts` **raises** :class:`PrismaInconsistent` – listing every problem – rather
than return numbers that do not add up: a flow diagram that is wrong is worse than none.
:func:`check_log` and :func:`check` return the same problems as a list, for a page that shows
what is still missing while a review is under way (a record included at screening but not yet
sought for retrieval, for instance, is such a problem).

Examples
--------
>>> log = [
...     Identified("r1", "Scopus"), Identified("r2", "Scopus"), Identified("r3", "PubMed"),
...     RemovedBeforeScreening("r2", DUPLICATE),
...     ScreenDecision("r1", include=True), ScreenDecision("r3", include=False),
...     SoughtForRetrieval("r1"), FullTextDecision("r1", include=True), Included("r1"),
... ]
>>> counts = prisma_counts(log)
>>> counts.databases, counts.duplicates, counts.records_screened, counts.studies_included
({'Scopus': 2, 'PubMed': 1}, 1, 2, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: How a record was found: the two columns of the 2020 template.
DATABASE = "database"
REGISTER = "register"
OTHER = "other"  # websites, organisations, citation searching …: ``source`` says which
METHODS = (DATABASE, REGISTER, OTHER)

#: Why a record was removed before screening: the three lines of that box.
DUPLICATE = "duplicate"
AUTOMATION = "automation"
OTHER_REASON = "other"
REMOVAL_REASONS = (DUPLICATE, AUTOMATION, OTHER_REASON)

#: Label for full-text exclusions recorded without a reason, so they are counted, not lost.
NO_REASON = "Reason not recorded"

RecordId = str | int


# --------------------------------------------------------------------------------------------
# the decision log


@dataclass(frozen=True)
class Identified:
    """A record found by a search.

    ``source`` names the database or register (``"Scopus"``), or for other methods the method or
    place (``"Citation searching"``, ``"Websites"``, ``"Polaris Project website"``); the diagram
    lists records per source. ``method`` is ``"database"``, ``"register"`` or ``"other"``.
    """

    record_id: RecordId
    source: str
    method: str = DATABASE


@dataclass(frozen=True)
class RemovedBeforeScreening:
    """A record removed before screening: ``reason`` is ``"duplicate"``, ``"automation"``
    (marked ineligible by an automation tool) or ``"other"``; ``note`` says why, for the
    methods section."""

    record_id: RecordId
    reason: str
    note: str = ""


@dataclass(frozen=True)
class ScreenDecision:
    """The resolved title/abstract decision on a record (after any reconciliation)."""

    record_id: RecordId
    include: bool


@dataclass(frozen=True)
class SoughtForRetrieval:
    """The full text (the report) of a record was sought."""

    record_id: RecordId


@dataclass(frozen=True)
class NotRetrieved:
    """The full text of a record sought for retrieval could not be obtained."""

    record_id: RecordId


@dataclass(frozen=True)
class FullTextDecision:
    """The resolved eligibility decision on a retrieved report; ``reason`` for exclusions."""

    record_id: RecordId
    include: bool
    reason: str = ""


@dataclass(frozen=True)
class Included:
    """An eligible report in the review. Reports of the same study share a ``study_id``; when
    it is empty the report is a study of its own."""

    record_id: RecordId
    study_id: str = ""


Event = (
    Identified
    | RemovedBeforeScreening
    | ScreenDecision
    | SoughtForRetrieval
    | NotRetrieved
    | FullTextDecision
    | Included
)
_EVENT_TYPES = (
    Identified,
    RemovedBeforeScreening,
    ScreenDecision,
    SoughtForRetrieval,
    NotRetrieved,
    FullTextDecision,
    Included,
)


class PrismaInconsistent(ValueError):
    """The decision log or the counts do not add up; ``problems`` lists every one."""

    #: shown in the message; the full list is always in ``problems``
    SHOWN = 20

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        shown = "\n".join(f"- {p}" for p in self.problems[: self.SHOWN])
        more = len(self.problems) - self.SHOWN
        if more > 0:
            shown += f"\n… and {more} more"
        super().__init__(f"PRISMA counts do not add up ({len(self.problems)} problems):\n{shown}")


# --------------------------------------------------------------------------------------------
# the counts


@dataclass(frozen=True)
class PrismaCounts:
    """Every box of the PRISMA 2020 flow diagram (databases, registers and other sources).

    ``dbr_`` fields belong to the databases-and-registers column, ``other_`` fields to the
    other-methods column. Dictionaries keep the order in which sources and reasons first
    appear in the log. ``dbr_included`` and ``other_included`` count the included reports
    found by each column; ``studies_included`` counts distinct studies across both.
    """

    databases: dict[str, int] = field(default_factory=dict)
    registers: dict[str, int] = field(default_factory=dict)
    other_sources: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    automation: int = 0
    removed_other: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    dbr_sought: int = 0
    dbr_not_retrieved: int = 0
    dbr_assessed: int = 0
    dbr_excluded: dict[str, int] = field(default_factory=dict)
    dbr_included: int = 0
    other_sought: int = 0
    other_not_retrieved: int = 0
    other_assessed: int = 0
    other_excluded: dict[str, int] = field(default_factory=dict)
    other_included: int = 0
    studies_included: int = 0

    @property
    def databases_total(self) -> int:
        return sum(self.databases.values())

    @property
    def registers_total(self) -> int:
        return sum(self.registers.values())

    @property
    def dbr_identified(self) -> int:
        """Records identified from databases and registers together."""
        return self.databases_total + self.registers_total

    @property
    def other_identified(self) -> int:
        return sum(self.other_sources.values())

    @property
    def removed_total(self) -> int:
        """All records removed before screening."""
        return self.duplicates + self.automation + self.removed_other

    @property
    def dbr_excluded_total(self) -> int:
        return sum(self.dbr_excluded.values())

    @property
    def other_excluded_total(self) -> int:
        return sum(self.other_excluded.values())

    @property
    def reports_included(self) -> int:
        """Reports of included studies, from both columns."""
        return self.dbr_included + self.other_included

    @property
    def uses_other_methods(self) -> bool:
        """Whether the other-methods column has anything to show (it is drawn only then)."""
        return bool(self.other_sources) or self.other_sought > 0


def check(counts: PrismaCounts) -> list[str]:
    """Problems with the arithmetic of the flow diagram; empty when every stage adds up.

    Databases and registers:
    identified − removed before screening = screened;
    screened − excluded = sought; sought − not retrieved = assessed;
    assessed − excluded (sum over reasons) = included reports.
    Other methods: sought ≤ identified; sought − not retrieved = assessed;
    assessed − excluded = included reports. Both: studies ≤ reports, and there are studies
    exactly when there are reports. No count is negative.

    Examples
    --------
    >>> check(PrismaCounts(databases={"A": 10}, duplicates=2, records_screened=8,
    ...                    records_excluded=8))
    []
    >>> for problem in check(PrismaCounts(databases={"A": 10}, records_screened=9,
    ...                                   records_excluded=9)):
    ...     print(problem)
    records identified from databases and registers (10) − removed before screening (0) = 10, \
but records screened = 9
    """
    problems = [f"{name} is negative ({value})" for name, value in _all_numbers(counts)
                if value < 0]
    c = counts
    steps = [
        ("records identified from databases and registers", c.dbr_identified,
         "removed before screening", c.removed_total, "records screened", c.records_screened),
        ("records screened", c.records_screened, "records excluded", c.records_excluded,
         "reports sought for retrieval (databases and registers)", c.dbr_sought),
        ("reports sought for retrieval (databases and registers)", c.dbr_sought,
         "reports not retrieved", c.dbr_not_retrieved,
         "reports assessed for eligibility (databases and registers)", c.dbr_assessed),
        ("reports assessed for eligibility (databases and registers)", c.dbr_assessed,
         "reports excluded", c.dbr_excluded_total,
         "included reports (databases and registers)", c.dbr_included),
        ("reports sought for retrieval (other methods)", c.other_sought,
         "reports not retrieved", c.other_not_retrieved,
         "reports assessed for eligibility (other methods)", c.other_assessed),
        ("reports assessed for eligibility (other methods)", c.other_assessed,
         "reports excluded", c.other_excluded_total,
         "included reports (other methods)", c.other_included),
    ]
    for start_name, start, minus_name, minus, result_name, result in steps:
        if start - minus != result:
            problems.append(
                f"{start_name} ({start}) − {minus_name} ({minus}) = {start - minus}, "
                f"but {result_name} = {result}"
            )
    if c.other_sought > c.other_identified:
        problems.append(
            f"reports sought for retrieval (other methods) = {c.other_sought}, more than the "
            f"{c.other_identified} records identified by other methods"
        )
    if c.studies_included > c.reports_included:
        problems.append(
            f"studies included ({c.studies_included}) outnumber the reports of included "
            f"studies ({c.reports_included})"
        )
    if (c.studies_included == 0) != (c.reports_included == 0):
        problems.append(
            f"studies included = {c.studies_included} but reports of included studies = "
            f"{c.reports_included}"
        )
    return problems


def _all_numbers(counts: PrismaCounts) -> list[tuple[str, int]]:
    numbers = []
    for name, value in vars(counts).items():
        if isinstance(value, Mapping):
            numbers += [(f"{name}[{key!r}]", n) for key, n in value.items()]
        else:
            numbers.append((name, value))
    return numbers


# --------------------------------------------------------------------------------------------
# from the log


@dataclass
class _Path:
    """Everything the log says about one record."""

    identified: list[Identified] = field(default_factory=list)
    removed: list[RemovedBeforeScreening] = field(default_factory=list)
    screened: list[ScreenDecision] = field(default_factory=list)
    sought: bool = False
    not_retrieved: bool = False
    assessed: list[FullTextDecision] = field(default_factory=list)
    included: list[Included] = field(default_factory=list)

    @property
    def column(self) -> str:
        return OTHER if self.identified and self.identified[0].method == OTHER else DATABASE

    @property
    def screen(self) -> bool | None:
        """The title/abstract decision, or None when there is none."""
        return self.screened[0].include if self.screened else None

    @property
    def eligible(self) -> bool | None:
        return self.assessed[0].include if self.assessed else None


def _paths(log: Iterable[Event]) -> tuple[dict[RecordId, _Path], list[str]]:
    paths: dict[RecordId, _Path] = {}
    problems: list[str] = []
    for position, event in enumerate(log, start=1):
        if not isinstance(event, _EVENT_TYPES):
            problems.append(f"entry {position}: {event!r} is not a decision-log event")
            continue
        path = paths.setdefault(event.record_id, _Path())
        if isinstance(event, Identified):
            if event.method not in METHODS:
                problems.append(
                    f"record {event.record_id}: method {event.method!r} is not one of "
                    f"{', '.join(METHODS)}"
                )
            path.identified.append(event)
        elif isinstance(event, RemovedBeforeScreening):
            if event.reason not in REMOVAL_REASONS:
                problems.append(
                    f"record {event.record_id}: removal reason {event.reason!r} is not one of "
                    f"{', '.join(REMOVAL_REASONS)}"
                )
            path.removed.append(event)
        elif isinstance(event, ScreenDecision):
            path.screened.append(event)
        elif isinstance(event, SoughtForRetrieval):
            path.sought = True
        elif isinstance(event, NotRetrieved):
            path.not_retrieved = True
        elif isinstance(event, FullTextDecision):
            path.assessed.append(event)
        else:
            path.included.append(event)
    return paths, problems


def _path_problems(record_id: RecordId, path: _Path) -> list[str]:
    problems: list[str] = []

    def say(text: str) -> None:
        problems.append(f"record {record_id}: {text}")

    if not path.identified:
        say("has decisions but was never identified")
        return problems
    if len(path.identified) > 1:
        sources = ", ".join(f"{e.source} ({e.method})" for e in path.identified)
        say(f"identified {len(path.identified)} times ({sources}); each hit is its own record "
            "– remove repeats as duplicates")
    if len({e.reason for e in path.removed}) > 1:
        say("removed before screening for conflicting reasons: "
            + ", ".join(sorted({e.reason for e in path.removed})))
    if len({e.include for e in path.screened}) > 1:
        say("title/abstract screening has conflicting final decisions")
    if len({e.include for e in path.assessed}) > 1:
        say("full-text assessment has conflicting final decisions")
    if len({e.study_id for e in path.included}) > 1:
        say("included as more than one study: "
            + ", ".join(sorted(repr(e.study_id) for e in path.included)))

    if path.column == OTHER:
        if path.removed or path.screened:
            say(f"found by other methods ({path.identified[0].source}) but removed or screened "
                "before retrieval; the PRISMA 2020 template has no such boxes for other "
                "methods – record only whether its report was sought")
    elif path.removed:
        later = [name for name, present in (
            ("screened", path.screened), ("sought for retrieval", path.sought),
            ("marked not retrieved", path.not_retrieved), ("assessed", path.assessed),
            ("included", path.included)) if present]
        if later:
            say(f"removed before screening ({path.removed[0].reason}) but also "
                + ", ".join(later))
        return problems
    elif path.screen is None:
        has_later = bool(path.sought or path.not_retrieved or path.assessed or path.included)
        say("neither screened nor removed before screening"
            + (" but has later decisions" if has_later else ""))
        return problems
    elif path.screen is False and (path.sought or path.not_retrieved or path.assessed
                                   or path.included):
        say("excluded at title/abstract screening but has later decisions")
        return problems
    elif path.screen is True and not path.sought:
        say("included at title/abstract screening but not sought for retrieval")

    if (path.not_retrieved or path.assessed) and not path.sought:
        say("has a retrieval or full-text decision but was never sought for retrieval")
    if path.not_retrieved and path.assessed:
        say("marked not retrieved but also assessed at full text")
    if path.sought and not path.not_retrieved and not path.assessed:
        say("sought for retrieval but neither assessed nor marked not retrieved")
    if path.included and path.eligible is not True:
        say("included without being assessed as eligible at full text")
    if path.eligible is True and not path.included:
        say("assessed as eligible at full text but not recorded as included")
    return problems


def check_log(log: Iterable[Event]) -> list[str]:
    """Problems with the paths of records through the log; empty when every path is whole.

    Flags a record with events but no :class:`Identified`, one identified twice, conflicting
    final decisions at one stage, a step without the step before it (sought but not included
    at screening, assessed but not sought, included but not assessed as eligible …), a record
    left half-way (screened in but not sought, sought but neither retrieved nor not), and
    removal or screening events on records found by other methods.
    """
    paths, problems = _paths(log)
    for record_id, path in paths.items():
        problems += _path_problems(record_id, path)
    return problems


def prisma_counts(log: Iterable[Event]) -> PrismaCounts:
    """Count every box of the PRISMA 2020 flow diagram from a decision log.

    Raises
    ------
    PrismaInconsistent
        listing every problem found by :func:`check_log` and :func:`check`.
    """
    events = list(log)
    problems = check_log(events)
    if problems:
        raise PrismaInconsistent(problems)
    paths, _ = _paths(events)
    counts = _count(paths)
    problems = check(counts)
    if problems:  # cannot happen for a whole log; kept as a guard for future changes
        raise PrismaInconsistent(problems)
    return counts


def _count(paths: Mapping[RecordId, _Path]) -> PrismaCounts:
    identified: dict[str, Counter[str]] = {DATABASE: Counter(), REGISTER: Counter(),
                                           OTHER: Counter()}
    removed: Counter[str] = Counter()
    screened = excluded = 0
    sought: Counter[str] = Counter()
    not_retrieved: Counter[str] = Counter()
    assessed: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {DATABASE: Counter(), OTHER: Counter()}
    included: Counter[str] = Counter()
    studies: set[str] = set()
    for record_id, path in paths.items():
        first = path.identified[0]
        identified[first.method][first.source] += 1
        column = path.column
        if path.removed:
            removed[path.removed[0].reason] += 1
            continue
        if path.screen is not None:
            screened += 1
            excluded += not path.screen
        sought[column] += path.sought
        not_retrieved[column] += path.not_retrieved
        if path.assessed:
            assessed[column] += 1
            if not path.eligible:
                reasons[column][path.assessed[0].reason.strip() or NO_REASON] += 1
        if path.included:
            included[column] += 1
            studies.add(path.included[0].study_id or f"\0record:{record_id}")
    return PrismaCounts(
        databases=dict(identified[DATABASE]),
        registers=dict(identified[REGISTER]),
        other_sources=dict(identified[OTHER]),
        duplicates=removed[DUPLICATE],
        automation=removed[AUTOMATION],
        removed_other=removed[OTHER_REASON],
        records_screened=screened,
        records_excluded=excluded,
        dbr_sought=sought[DATABASE],
        dbr_not_retrieved=not_retrieved[DATABASE],
        dbr_assessed=assessed[DATABASE],
        dbr_excluded=dict(reasons[DATABASE]),
        dbr_included=included[DATABASE],
        other_sought=sought[OTHER],
        other_not_retrieved=not_retrieved[OTHER],
        other_assessed=assessed[OTHER],
        other_excluded=dict(reasons[OTHER]),
        other_included=included[OTHER],
        studies_included=len(studies),
    )
