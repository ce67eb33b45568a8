"""``empower report``: the cohort report as HTML or JSON, for one organisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from empower.metrics.privacy import Audience
from empower.reports.cohort import render_cohort_html
from empower.web.accounts.models import Organisation
from empower.web.assessments.cohort import cohort_report
from empower.web.audit.log import Action, record


class Command(BaseCommand):
    help = "Write the cohort report of an organisation as HTML (default) or JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--organisation", "-o", default=None,
            help="The organisation's short name (slug). May be left out when there is only one.",
        )
        parser.add_argument("--format", choices=["html", "json"], default="html")
        parser.add_argument("--output", default="-", help="File to write; '-' for the screen.")
        parser.add_argument("--language", default="en", choices=["en", "bn", "my"])
        parser.add_argument(
            "--audience", default="external", choices=[a.value for a in Audience],
            help="Who will read it. Anyone but the organisation's own staff (internal) gets "
                 "small groups suppressed; 'public' uses a threshold of at least 11.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = self._organisation(options["organisation"])
        report = cohort_report(organisation, options["language"], options["audience"])
        if options["format"] == "json":
            text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)
        else:
            text = render_cohort_html(report, standalone=True)
        record(
            Action.EXPORT, organisation=organisation, target_type="cohort_report",
            detail={"format": options["format"], "audience": options["audience"],
                    "to": "screen" if options["output"] == "-" else "file"},
        )
        if options["output"] == "-":
            self.stdout.write(text)
        else:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['output']}")

    def _organisation(self, slug: str | None) -> Organisation:
        organisations = Organisation.objects.all()
        if slug:
            found = organisations.filter(slug=slug).first()
            if found is None:
                known = ", ".join(organisations.values_list("slug", flat=True)) or "none"
                raise CommandError(f"No organisation '{slug}'. Known: {known}.")
            return found
        if organisations.count() != 1:
            raise CommandError(
                "Name the organisation with --organisation SLUG "
                f"(there are {organisations.count()})."
            )
        return organisations.get()
