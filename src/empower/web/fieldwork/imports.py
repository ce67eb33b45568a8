"""Applying a download from KoboToolbox or ODK Central to the database.

The pure reader (``empower.instruments.submissions``) turns the file into interviews; here each
interview is matched to a participant of the importing organisation by its code, skipped if its
submission was imported before, and saved through ``record_assessment`` — the same path as the
interview form, so consent and validation rules are exactly the site's.

A dry run does everything a real import does, inside a transaction that is then rolled back, so
it reports exactly the problems the import would meet. A real import is all-or-nothing: one
problem anywhere and nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import get_language, gettext_lazy

from empower.instruments import library, text_in
from empower.instruments.submissions import (
    Interview,
    Reading,
    RowProblem,
    Source,
    interpret,
    read_submissions,
)
from empower.web.accounts.models import Organisation
from empower.web.assessments.recording import interview_consents, record_assessment
from empower.web.audit.log import Action, record
from empower.web.people.models import Consent, Participant

from .models import ImportedSubmission

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
        """The question set as people know it ("Empowerment interview, version 2.0"), in the
        reader's language; what the file says when it names no installed question set."""
        instrument = library().get(self.instrument_key)
        if instrument is None:
            return self.instrument_key
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
        return sum(r.status == "skipped" for r in self.rows)

    @property
    def with_problems(self) -> int:
        return sum(r.status == "problem" for r in self.rows)

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
) -> ImportOutcome:
    """Read ``data``, then import its interviews into ``organisation`` (or only try, when
    ``dry_run``). ``user`` is recorded as the interviewer and importer. ``progress`` is called
    with (rows done, rows in all) as the rows are processed."""
    found = read_submissions(data, filename, source)
    reading = interpret(found, library(), instrument or None, today=today)
    outcome = ImportOutcome(reading, [], dry_run=dry_run, digest=file_digest(data))
    outcome.problems = [p for p in reading.problems if not p.warning]
    if outcome.problems:
        return outcome
    try:
        with transaction.atomic():
            _apply(outcome, organisation, found.source, user, progress)
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
) -> None:
    interviews = outcome.reading.interviews
    codes = {i.participant_code for i in interviews if i.participant_code}
    participants = {
        p.code: p for p in Participant.objects.for_organisation(organisation).filter(code__in=codes)
    }
    ids = {i for interview in interviews for i in interview.ids}
    imported = set(
        ImportedSubmission.objects.filter(organisation=organisation, submission_id__in=ids)
        .values_list("submission_id", flat=True)
    )
    consents = interview_consents(participants.values())
    for done, interview in enumerate(interviews, start=1):
        row = _one(interview, organisation, source, user, participants, imported, consents)
        outcome.rows.append(row)
        outcome.problems += row.problems
        if progress is not None:
            progress(done, len(interviews))


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
            ImportedSubmission.objects.create(
                organisation=organisation, source=source, submission_id=interview.submission_id,
                assessment=assessment, imported_by=user,
            )
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
