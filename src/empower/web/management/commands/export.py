"""``empower export``: assessment data, scores, HTCDS rows or totals of one organisation.

    empower export assessments --organisation SLUG --format csv|xlsx|sav --purpose PURPOSE \
        --output FILE
    empower export scores      --organisation SLUG --format csv|xlsx|sav --purpose PURPOSE \
        --output FILE
    empower export services    --organisation SLUG --format csv|xlsx|sav --purpose PURPOSE \
        --output FILE
    empower export htcds       --organisation SLUG --format csv|xlsx --purpose PURPOSE \
        --output FILE
    empower export aggregates  --organisation SLUG --format hxl|xlsx --purpose PURPOSE \
        [--audience staff|shared|public] --output FILE

PURPOSE is the consent purpose the file serves: ``own_reporting`` (the organisation's own
staff) or ``research`` for the first three; ``own_reporting``, ``sharing`` or ``research`` for
totals. Only participants whose consent to it is in force now are included (files for
research carry a research code instead of the participant code); see
``docs/exports.md`` for what each purpose and audience gets. Every export is written into the
audit trail, with no person as the actor (the command line).

Exit codes: 0 done; 1 nothing to export, or the file could not be written (no file is
left behind); 2 wrong arguments (unknown organisation, a purpose or audience the data may not
be used for, a format the dataset has not, a folder that does not exist).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import Progress

from empower.web.accounts.models import Organisation
from empower.web.exports.datasets import DATASETS, ExportRefused
from empower.web.exports.files import NothingToExport, audit_export, make_export
from empower.web.exports.forms import AUDIENCES


class Command(BaseCommand):
    help = ("Export assessments, scores, services, HTCDS rows or HXL-tagged totals of one "
            "organisation.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dataset", choices=DATASETS)
        parser.add_argument("--organisation", "-o", required=True,
                            help="The organisation's short name (slug).")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx", "sav", "hxl"])
        parser.add_argument("--purpose", required=True,
                            choices=["own_reporting", "research", "sharing"],
                            help="The consent purpose this file serves.")
        parser.add_argument("--audience", choices=list(AUDIENCES),
                            help="Who will read totals: staff (nothing hidden), shared "
                                 "(small groups hidden), public (groups under 11 hidden).")
        parser.add_argument("--output", required=True, help="File to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stderr, highlight=False)
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No organisation '{options['organisation']}'. Known: {known}.",
                               returncode=2)
        audience = AUDIENCES[options["audience"]].value if options["audience"] else None
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"--output: the folder {output.parent} does not exist.",
                               returncode=2)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"Exporting {options['dataset']}", total=2)
            try:
                export = make_export(
                    organisation, options["dataset"], options["format"], options["purpose"],
                    audience,
                    progress=lambda done, total: progress.update(task, completed=done),
                )
            except ExportRefused as refused:
                raise CommandError(str(refused), returncode=2) from None
            except NothingToExport as nothing:
                raise CommandError(str(nothing), returncode=1) from None
        _write_whole(output, export.content)
        audit_export(export, organisation=organisation, to="file")
        console.print(f"Wrote {export.rows} rows to {output} "
                      f"(purpose {export.purpose}, audience {export.audience.value}).")


def _write_whole(output: Path, content: bytes) -> None:
    """Write the file completely or not at all: into a temporary file beside it, then renamed
    over ``output``, so that a full disk or a stopped command never leaves half a file."""
    try:
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".export-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
            os.replace(temporary, output)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise CommandError(f"--output: could not write {output}: {error.strerror}.",
                           returncode=1) from None
