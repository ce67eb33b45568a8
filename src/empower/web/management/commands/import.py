"""``empower import``: bring interviews collected offline into Empower.

    empower import kobo FILE --organisation SLUG [--instrument ID@VERSION] [--user USERNAME]
                             [--dry-run]
    empower import odk FILE --organisation SLUG [...]

FILE is a KoboToolbox download (API v2 JSON, CSV or XLSX export) or an ODK Central download
(CSV, or the zip with the services CSV). Each submission is matched to a participant of the
organisation by its participant code and saved as an assessment, with the same consent and
validation rules as the interview form. ``--instrument`` names the instrument for submissions
that do not say which they used; ``--user`` is recorded as the interviewer and importer (an
administrator or interviewer of the organisation). ``--dry-run`` shows what would happen and
writes nothing. Submissions imported before are skipped, so running it twice is harmless.

The import is all-or-nothing: every problem is listed with its row and column, and if there is
one, nothing is written. Exit codes: 0 done (or a clean dry run); 1 the file has problems
(nothing was written); 2 wrong arguments. See ``docs/imports.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from empower.instruments import library
from empower.instruments.submissions import SOURCES, RowProblem
from empower.web.accounts.models import Organisation
from empower.web.accounts.permissions import CAN_RECORD
from empower.web.fieldwork.imports import ImportOutcome, audit_import, run_import

STATUS_WORDS = {
    "add": "would add",
    "added": "added",
    "skipped": "already imported (skipped)",
    "problem": "problems",
}


class Command(BaseCommand):
    help = "Import interviews from a KoboToolbox or ODK Central download."

    def add_arguments(self, parser: Any) -> None:
        # Checked in handle(), not by argparse, so that every wrong argument exits with 2.
        parser.add_argument("source", help="kobo or odk")
        parser.add_argument("file", help="the downloaded file")
        parser.add_argument("--organisation", help="short name (slug) of the organisation")
        parser.add_argument("--instrument", help="id@version, for submissions that do not say")
        parser.add_argument("--user", help="username recorded as interviewer and importer")
        parser.add_argument("--dry-run", action="store_true",
                            help="show what would happen; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        self.console = Console(file=self.stdout, highlight=False, width=120)
        source, path, organisation, user = self._arguments(options)
        data = path.read_bytes()
        with Progress(console=self.console, transient=True) as progress:
            task = progress.add_task("Importing" if not options["dry_run"] else "Checking",
                                     total=None)
            outcome = run_import(
                organisation=organisation, data=data, filename=path.name, source=source,
                instrument=options["instrument"], user=user, dry_run=options["dry_run"],
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        self._show(outcome)
        if outcome.errors:
            count = len(outcome.errors)
            raise CommandError(ngettext("%(number)s problem; nothing was written.",
                                        "%(number)s problems; nothing was written.", count)
                               % {"number": count}, returncode=1)
        if outcome.written:
            audit_import(outcome, actor=user, organisation=organisation, via="command")

    def _arguments(self, options: dict[str, Any]) -> tuple[Any, Path, Organisation, Any]:
        source = options["source"]
        if source not in SOURCES:
            raise CommandError(f"The source is kobo or odk, not {source!r}.", returncode=2)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.", returncode=2)
        if not options["organisation"]:
            raise CommandError("Give --organisation SLUG.", returncode=2)
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation {options['organisation']!r}.", returncode=2)
        if options["instrument"] and options["instrument"] not in library():
            known = ", ".join(sorted(library()))
            raise CommandError(f"No instrument {options['instrument']!r} (known: {known}).",
                               returncode=2)
        user = None
        if options["user"]:
            user = get_user_model()._default_manager.filter(
                username=options["user"], membership__organisation=organisation,
                membership__role__in=CAN_RECORD,
            ).first()
            if user is None:
                raise CommandError(f"{options['user']!r} is not an administrator or interviewer "
                                   f"of {organisation.slug}.", returncode=2)
        return source, path, organisation, user

    def _show(self, outcome: ImportOutcome) -> None:
        file = outcome.file
        guessed = " (worked out from the file)" if file.source_guessed else ""
        self.console.print(f"Read as: {file.description}{guessed}")
        for note in outcome.notes:
            self.console.print(f"Note: {note}")
        if outcome.rows:
            rows = Table("row", "participant", "instrument", "what happens")
            for row in outcome.rows:
                status = STATUS_WORDS[row.status]
                if row.status == "problem":
                    status = f"{len(row.problems)} problem(s)"
                elif row.status == "skipped" and row.note:
                    status = f"{row.note} (skipped)"
                rows.add_row(str(row.row), row.participant_code or "–",
                             row.instrument_key or "–", status)
            self.console.print(rows)
        if outcome.warnings:
            self.console.print("Good to know (these do not stop the import):")
            self.console.print(_problem_table(outcome.warnings))
        if outcome.errors:
            self.console.print("Problems (nothing was written):")
            self.console.print(_problem_table(outcome.errors))
        self.console.print(_summary(outcome))


def _summary(outcome: ImportOutcome) -> str:
    """One line of counts: every row in one of them, and the file's own problems too, so that
    the count of problems that follows adds up."""
    if outcome.written:
        added = ngettext("%(number)s added", "%(number)s added", outcome.to_add)
    else:
        added = ngettext("%(number)s would add", "%(number)s would add", outcome.to_add)
    parts = [(added, outcome.to_add)]
    parts.append((ngettext("%(number)s already imported (skipped)",
                           "%(number)s already imported (skipped)", outcome.already_imported),
                  outcome.already_imported))
    parts.append((ngettext("%(number)s with problems", "%(number)s with problems",
                           outcome.with_problems), outcome.with_problems))
    optional = [
        (ngettext("%(number)s imported before, edited since (skipped)",
                  "%(number)s imported before, edited since (skipped)",
                  outcome.edited_since_import), outcome.edited_since_import),
        (ngettext("%(number)s skipped by review (rejected or not approved)",
                  "%(number)s skipped by review (rejected or not approved)",
                  outcome.skipped_by_review), outcome.skipped_by_review),
        (ngettext("%(number)s problem with the file as a whole",
                  "%(number)s problems with the file as a whole", outcome.file_problems),
         outcome.file_problems),
    ]
    parts += [(text, number) for text, number in optional if number]
    line = ", ".join(text % {"number": number} for text, number in parts)
    if outcome.dry_run:
        line += gettext(" — dry run, nothing was written")
    return line


def _problem_table(problems: list[RowProblem]) -> Table:
    table = Table("row", "column", "what is wrong")
    for p in problems:
        where = f"{p.sheet}: " if p.sheet else ""
        table.add_row(where + (str(p.row) if p.row else "whole file"), p.column or "–",
                      p.message)
    return table
