"""Applying a download from KoboToolbox or ODK Central to the database.

The pure reader (``empower.instruments.submissions``) turns the file into interviews; here each
interview is matched to a participant of the importing organisation by its code, skipped if its
submission was imported before, and saved through ``record_assessment`` — the same path as the
interview form, so consent and validation rules are exactly the site's.

A dry run does everything a real import does, inside a transaction that is then rolled back, so
it reports exactly the problems the import would meet. A real import is all-or-nothing: one
problem anywhere and nothing is written. Both can be given limits (the size of the file's
tables, its rows, the seconds it may take); a file past one is refused as a whole.

Every id a submission carried (the first, the current, the one it replaced) is remembered, so a
later download is recognised whichever of them it holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import get_language, gettext_lazy

from empower.instruments import library, text_in
from empower.instruments.submissions import (
    Deadline,
    Interview,
    Limits,
    Reading,
    RowProblem,
    Source,
    interpret,
    read_submissions,
    too_slow,
)
from empower.web.accounts.models import Organisation
from empower.web.assessments.recording import interview_consents, record_assessment
from empower.web.audit.log import Action, record
from empower.web.people.models import Consent, Participant

from .models import ImportedSubmission, ImportedSubmissionId

Status = Literal["add", "added", "skipped", "problem"]

# Rendered in the language of whoever reads them (the page's, or the command's: English).
NO_PARTICIPANT = gettext_lazy("no participant with this code in your organisation")
SAVED_MEANWHILE = gettext_lazy("this submission was imported by someone else a moment ago; "
                               "check the file again to see what is still new")
NOT_STORABLE = gettext_lazy("this submission could not be saved (a value is too long or holds "
                            "characters that cannot be stored); check it in the tool")
IMPORTED_AT_ONCE = gettext_lazy("These submissions were being imported by someone else at the "
                                "same moment. Check the file again.")
ALREADY_IMPORTED = gettext_lazy("already imported")
EARLIER_VERSION = gettext_lazy("an earlier version of this submission was already imported")

#: The messages above by name, so that a stored dry run renders them in its reader's language.
MESSAGES = {
    "NO_PARTICIPANT": NO_PARTICIPANT, "SAVED_MEANWHILE": SAVED_MEANWHILE,
    "NOT_STORABLE": NOT_STORABLE, "IMPORTED_AT_ONCE": IMPORTED_AT_ONCE,
    "ALREADY_IMPORTED": ALREADY_IMPORTED, "EARLIER_VERSION": EARLIER_VERSION,
}

#: What the site checks of one upload, while a page waits (each can be set in the settings):
#: a table may unpack to no more text than an upload may hold; the rows and seconds are far
#: above a month of interviews and far below what would hold up other people's pages.
SITE_MAX_TABLE_MB = 20
SITE_MAX_ROWS = 10_000
SITE_SECONDS = 60


def site_limits() -> tuple[Limits, float]:
    """The limits and the time limit of an import made on the site."""
    megabytes = getattr(settings, "EMPOWER_IMPORT_MAX_TABLE_MB", SITE_MAX_TABLE_MB)
    rows = getattr(settings, "EMPOWER_IMPORT_MAX_ROWS", SITE_MAX_ROWS)
    seconds = getattr(settings, "EMPOWER_IMPORT_SECONDS", SITE_SECONDS)
    return Limits(table_bytes=int(megabytes * 1024 * 1024), rows=int(rows)), float(seconds)


@dataclass
class RowOutcome:
    """What happens (or would happen) to one submission."""

    row: int
    participant_code: str
    instrument_key: str
    status: Status
    #: why it is skipped, in words (rendered with ``str()`` in the reader's language)
    note: Any = ""
    #: why a row is skipped: "imported", "earlier_version" or "rejected"
    reason: str = ""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def instrument_name(self) -> str:
        return instrument_name(self.instrument_key)


def instrument_name(key: str) -> str:
    """The question set as people know it ("Empowerment interview, version 2.0"), in the
    reader's language; what the file says when it names no installed question set."""
    instrument = library().get(key)
    if instrument is None:
        return key
    return str(gettext_lazy("%(title)s, version %(version)s") % {
        "title": text_in(instrument.title, get_language() or "en")[0],
        "version": instrument.version})


@dataclass
class ImportOutcome:
    """The result of a dry run or an import, ready to show as a table."""

    reading: Reading
    rows: list[RowOutcome]
    dry_run: bool
    written: bool = False
    digest: str = ""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def file(self) -> Any:
        return self.reading.file

    @property
    def notes(self) -> list[str]:
        return self.reading.notes

    @property
    def warnings(self) -> list[RowProblem]:
        return self.reading.warnings

    @property
    def errors(self) -> list[RowProblem]:
        """Every problem that stops the import: the file's, then each row's, in file order."""
        return self.problems

    @property
    def to_add(self) -> int:
        return sum(r.status in ("add", "added") for r in self.rows)

    @property
    def added(self) -> int:
        return sum(r.status == "added" for r in self.rows)

    @property
    def skipped(self) -> int:
        """Every row skipped, for whichever reason."""
        return sum(r.status == "skipped" for r in self.rows)

    @property
    def already_imported(self) -> int:
        """Rows imported before in this very version."""
        return sum(r.reason == "imported" for r in self.rows)

    @property
    def edited_since_import(self) -> int:
        """Rows whose submission was imported, then edited in the tool."""
        return sum(r.reason == "earlier_version" for r in self.rows)

    @property
    def skipped_by_review(self) -> int:
        """Rows a reviewer rejected (ODK Central) or did not approve (KoboToolbox)."""
        return sum(r.reason == "rejected" for r in self.rows)

    @property
    def with_problems(self) -> int:
        return sum(r.status == "problem" for r in self.rows)

    @property
    def file_problems(self) -> int:
        """Problems of the file as a whole (a missing column, an unreadable or too large file),
        not of one of its rows."""
        return len(self.errors) - sum(len(r.problems) for r in self.rows)

    @property
    def ready(self) -> bool:
        """A clean dry run with something to add: the import may go ahead."""
        return not self.errors and self.to_add > 0


def file_digest(data: bytes) -> str:
    """Names an import in the audit trail without saying anything about its content."""
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def run_import(
    *,
    organisation: Organisation,
    data: bytes,
    filename: str,
    source: Source | None,
    instrument: str | None = None,
    user: AbstractBaseUser | None = None,
    dry_run: bool = True,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    limits: Limits | None = None,
    time_limit: float | None = None,
) -> ImportOutcome:
    """Read ``data``, then import its interviews into ``organisation`` (or only try, when
    ``dry_run``). ``user`` is recorded as the interviewer and importer. ``progress`` is called
    with (rows done, rows in all) as the rows are processed. ``limits`` bound the file's size
    and rows (the reader's own when ``None``); after ``time_limit`` seconds the work stops and
    the file is refused with a problem that says so."""
    deadline = Deadline(time_limit) if time_limit else None
    found = read_submissions(data, filename, source, limits=limits, deadline=deadline)
    reading = interpret(found, library(), instrument or None, today=today)
    outcome = ImportOutcome(reading, [], dry_run=dry_run, digest=file_digest(data))
    outcome.problems = [p for p in reading.problems if not p.warning]
    if outcome.problems:
        return outcome
    try:
        with transaction.atomic():
            _apply(outcome, organisation, found.source, user, progress, deadline)
            if dry_run or outcome.problems:
                transaction.set_rollback(True)
            else:
                outcome.written = True
    except IntegrityError:
        # Another import of the same submissions committed first (caught at the commit, not
        # by a row's savepoint); nothing of this one stays.
        outcome.written = False
        outcome.problems.append(RowProblem(0, "", IMPORTED_AT_ONCE))
    if outcome.written:
        for row in outcome.rows:
            if row.status == "add":
                row.status = "added"
    return outcome


def _apply(
    outcome: ImportOutcome,
    organisation: Organisation,
    source: str,
    user: AbstractBaseUser | None,
    progress: Callable[[int, int], None] | None,
    deadline: Deadline | None = None,
) -> None:
    interviews = outcome.reading.interviews
    codes = {i.participant_code for i in interviews if i.participant_code}
    participants = {
        p.code: p for p in Participant.objects.for_organisation(organisation).filter(code__in=codes)
    }
    ids = {i for interview in interviews for i in interview.ids}
    imported = _known_ids(organisation, ids)
    consents = interview_consents(participants.values())
    for done, interview in enumerate(interviews, start=1):
        if deadline is not None and deadline.passed():
            # Stopped part-way: the rows checked so far say nothing about the file as a whole.
            outcome.rows = []
            outcome.problems = [RowProblem(0, "", too_slow(deadline))]
            return
        row = _one(interview, organisation, source, user, participants, imported, consents)
        outcome.rows.append(row)
        outcome.problems += row.problems
        if progress is not None:
            progress(done, len(interviews))


#: Ids looked up per query: databases limit the values one query may carry (SQLite to 32,766).
_IDS_PER_QUERY = 5_000


def _known_ids(organisation: Organisation, ids: set[str]) -> set[str]:
    """Which of ``ids`` a submission imported into ``organisation`` carried."""
    wanted, known = sorted(ids), set()
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        part = wanted[start:start + _IDS_PER_QUERY]
        known |= set(ImportedSubmissionId.objects.filter(organisation=organisation,
                                                         value__in=part)
                     .values_list("value", flat=True))
    return known


def _one(
    interview: Interview,
    organisation: Organisation,
    source: str,
    user: AbstractBaseUser | None,
    participants: dict[str, Participant],
    imported: set[str],
    consents: dict[int, list[Consent]],
) -> RowOutcome:
    row = RowOutcome(interview.row, interview.participant_code, interview.instrument_key, "add")
    own = interview.version_id or interview.submission_id
    if own in imported:
        row.status, row.reason = "skipped", "imported"
        row.note = ALREADY_IMPORTED
        return row
    if interview.ids & imported:
        # Edited in the tool after it was imported: the assessment in Empower stays the record.
        row.status, row.reason = "skipped", "earlier_version"
        row.note = EARLIER_VERSION
        return row
    if interview.rejected:
        # A reviewer turned it down in the tool (a test interview, the wrong person …).
        row.status, row.reason = "skipped", "rejected"
        row.note = interview.rejected
        return row
    problems = list(interview.problems)
    participant = participants.get(interview.participant_code)
    if participant is None and interview.participant_code:
        problems.insert(0, RowProblem(interview.row, interview.code_column, NO_PARTICIPANT))
    if problems or participant is None or interview.instrument is None:
        row.status, row.problems = "problem", problems
        return row
    assert interview.conducted_on is not None
    try:
        # A savepoint per row: a database refusal (on PostgreSQL it would spoil the whole
        # transaction) undoes this row only, and is reported on it like any other problem.
        with transaction.atomic():
            assessment = record_assessment(
                participant=participant,
                instrument=interview.instrument,
                conducted_on=interview.conducted_on,
                language=interview.language,
                interviewer=user,
                answers=interview.answers,
                narratives=interview.narratives,
                services=interview.services,
                consents=consents.get(participant.pk, []),
            )
            imported_as = ImportedSubmission.objects.create(
                organisation=organisation, source=source, submission_id=interview.submission_id,
                assessment=assessment, imported_by=user,
            )
            ImportedSubmissionId.objects.bulk_create(
                ImportedSubmissionId(organisation=organisation, imported=imported_as, value=id_)
                for id_ in sorted(interview.ids))
    except ValidationError as error:
        row.status = "problem"
        row.problems = [RowProblem(interview.row, "", message) for message in error.messages]
        return row
    except IntegrityError:
        row.status = "problem"
        row.problems = [RowProblem(interview.row, "", SAVED_MEANWHILE)]
        return row
    except DatabaseError:
        row.status = "problem"
        row.problems = [RowProblem(interview.row, "", NOT_STORABLE)]
        return row
    imported.update(interview.ids)
    return row


def audit_import(outcome: ImportOutcome, *, request: Any = None, actor: Any = None,
                 organisation: Any = None, via: str = "web") -> None:
    """One audit entry for a completed import: which file (by digest), how many were added."""
    record(
        Action.IMPORT, request=request, actor=actor, organisation=organisation,
        target_type="import", target_id=outcome.digest,
        detail={
            "source": outcome.file.source, "format": outcome.file.format,
            "added": outcome.added, "skipped": outcome.skipped, "via": via,
        },
    )
