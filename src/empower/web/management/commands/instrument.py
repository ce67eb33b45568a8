"""``empower instrument``: instruments as XLSForm, for KoboToolbox and ODK Collect.

    empower instrument list
    empower instrument export ID [--version V] [--output FILE.xlsx] [--revision NN] [--date D]
    empower instrument import FILE.xlsx [--output FILE.yaml] [--dry-run] [--install]

``export`` writes the XLSForm of an instrument (default: its highest version) to
``ID-VERSION-yyyymmddrr.xlsx``; the form version is today's date and ``--revision`` (01 unless
given), so a second upload on the same day needs ``--revision 2``.

``import`` reads an XLSForm, prints what it lacks for scoring and writes the instrument as YAML
(default: ``ID-VERSION.yaml`` beside the workbook). ``--dry-run`` only checks and reports.
``--install`` puts the YAML into the folder named by ``EMPOWER_INSTRUMENTS_DIR``, which the site
loads beside the bundled library (restart the site afterwards).

Exit codes: 0 done; 1 the input could not be used (nothing was written); 2 wrong arguments.
See ``docs/xlsform.md``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from empower.instruments import (
    InstrumentError,
    dump_instrument,
    get_instrument,
    library,
    load_instrument_text,
    version_key,
)
from empower.instruments.loader import INSTALL_ENV, install_folder
from empower.instruments.xlsform import read_xlsform, write_xlsform, xlsform_filename


class Command(BaseCommand):
    help = "Instruments as XLSForm: list, export for KoboToolbox/ODK, import a form."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Every instrument and version the site knows.")
        exp = sub.add_parser("export", help="Write an instrument as an XLSForm workbook.")
        exp.add_argument("instrument_id", metavar="ID")
        exp.add_argument("--version", dest="instrument_version",
                         help="The instrument version (default: the highest).")
        exp.add_argument("--output", help="The .xlsx file to write.")
        exp.add_argument("--revision", type=int, default=1,
                         help="Two-digit revision of the form version (1–99, default 1).")
        exp.add_argument("--date", type=date.fromisoformat,
                         help="Date of the form version, YYYY-MM-DD (default: today).")
        imp = sub.add_parser("import", help="Read an XLSForm and write the instrument as YAML.")
        imp.add_argument("file", metavar="FILE.xlsx")
        imp.add_argument("--output", help="The .yaml file to write.")
        imp.add_argument("--dry-run", action="store_true", help="Check and report only.")
        imp.add_argument("--install", action="store_true",
                         help=f"Write the YAML into ${INSTALL_ENV} for the site to load.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.console = Console(file=self.stdout, highlight=False, soft_wrap=True)
        getattr(self, f"_{options['action']}")(options)

    # ---------------------------------------------------------------- list

    def _list(self, options: dict[str, Any]) -> None:
        # One plain line per version, so the output can be read by scripts as well as people.
        for instrument in sorted(library().values(), key=lambda i: (i.id, version_key(i.version))):
            title = instrument.title.get(instrument.languages[0], "")
            self.stdout.write(
                f"{instrument.key}\t{instrument.kind}\t{' '.join(instrument.languages)}\t"
                f"{len(instrument.items)} questions\t{title}"
            )

    # ---------------------------------------------------------------- export

    def _export(self, options: dict[str, Any]) -> None:
        revision = options["revision"]
        if not 1 <= revision <= 99:
            raise CommandError("--revision must be between 1 and 99.", returncode=2)
        try:
            instrument = get_instrument(options["instrument_id"], options["instrument_version"])
        except KeyError as error:
            known = ", ".join(sorted(library())) or "none"
            raise CommandError(f"{error.args[0]}; known: {known}", returncode=2) from None
        on = options["date"]
        output = Path(options["output"] or xlsform_filename(instrument, on, revision))
        if output.suffix.lower() != ".xlsx":
            raise CommandError("--output must be an .xlsx file.", returncode=2)
        try:
            write_xlsform(instrument, output, on, revision)
        except (OSError, InstrumentError) as error:
            raise CommandError(f"Could not write {output}: {error}", returncode=1) from None
        self.console.print(f"Wrote {output} ({instrument.key}).")

    # ---------------------------------------------------------------- import

    def _import(self, options: dict[str, Any]) -> None:
        if options["install"] and options["output"]:
            raise CommandError("Give --output or --install, not both.", returncode=2)
        source = Path(options["file"])
        try:
            result = read_xlsform(source)
        except InstrumentError as error:
            for problem in error.problems:
                self.console.print(f"[red]problem[/red] {source}: {problem}")
            raise CommandError(
                f"{source}: the form could not be used ({len(error.problems)} "
                f"problem{'s' if len(error.problems) != 1 else ''}); nothing was written.",
                returncode=1,
            ) from None
        instrument = result.instrument
        for note in result.notes:
            self.console.print(f"[yellow]note[/yellow] {note}")
        scored = sum(1 for i in instrument.items if i.axis or i.subscale)
        self.console.print(
            f"{instrument.key}: {len(instrument.items)} questions, {scored} feed a score, "
            f"languages {', '.join(instrument.languages)}."
        )
        if options["dry_run"]:
            self.console.print("Dry run: nothing was written.")
            return
        target = self._target(options, source, instrument.id, instrument.version)
        text = dump_instrument(instrument)
        try:
            load_instrument_text(text, str(target))  # what is written must load again
        except InstrumentError as error:
            raise CommandError(str(error), returncode=1) from None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Could not write {target}: {error}", returncode=1) from None
        self.console.print(f"Wrote {target}.")

    def _target(self, options: dict[str, Any], source: Path, iid: str, version: str) -> Path:
        name = f"{iid}-{version}.yaml"
        if not options["install"]:
            return Path(options["output"]) if options["output"] else source.with_name(name)
        folder = install_folder()
        if folder is None:
            raise CommandError(
                f"--install needs {INSTALL_ENV} set to the folder the site loads "
                "instruments from.", returncode=2)
        key = f"{iid}@{version}"
        if key in library() or (folder / name).exists():
            raise CommandError(
                f"{key} is already installed: instruments never change in place, give the "
                "form a new version.", returncode=1)
        return folder / name
