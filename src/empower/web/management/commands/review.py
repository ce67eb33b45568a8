"""``empower review``: evidence-review work on the command line.

    empower review import FILE… --source NAME [--format ris|bibtex|csv]
    empower review import FILE --project ID --search ID     (into a review in the database)
    empower review dedup FILE… [--source NAME…] [--output groups.csv]
    empower review simulate LABELLED.csv [--runs 5] [--seed 0]
    empower review prisma --project ID --format svg|png|pdf|r --output FILE

Exit codes: 0 done; 1 the input could not be used (nothing was written); 2 wrong arguments.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from empower.evidence import dedup, importers, prisma, prisma_diagram
from empower.evidence.outputs import prisma_r_csv
from empower.evidence.prioritise import random_baseline, simulate


class Command(BaseCommand):
    help = "Evidence reviews: import, de-duplicate, simulate prioritised screening, PRISMA."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Read export files and count records per source.")
        imp.add_argument("files", nargs="+")
        imp.add_argument("--source", help="Name of the database (default: the file name).")
        imp.add_argument("--format", choices=["ris", "bibtex", "csv"])
        imp.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                         help="For a CSV whose columns are not recognised, e.g. "
                              "--map 'Article Title=title' (repeat for each column).")
        imp.add_argument("--project", type=int, help="Import into this review.")
        imp.add_argument("--search", type=int, help="The review's search the file comes from.")
        dd = sub.add_parser("dedup", help="Find duplicates across export files.")
        dd.add_argument("files", nargs="+")
        dd.add_argument("--source", action="append", help="One name per file, in order.")
        dd.add_argument("--output", help="Write the duplicate groups and uncertain pairs (CSV).")
        sim = sub.add_parser("simulate", help="Replay prioritised screening on labelled data.")
        sim.add_argument("file", help="CSV with title, abstracts (or abstract) and label2.")
        sim.add_argument("--runs", type=int, default=5)
        sim.add_argument("--seed", type=int, default=0)
        pr = sub.add_parser("prisma", help="Write the PRISMA 2020 diagram of a review.")
        pr.add_argument("--project", type=int, required=True)
        pr.add_argument("--format", choices=["svg", "png", "pdf", "r"], default="svg")
        pr.add_argument("--output", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        self.console = Console(file=self.stdout, highlight=False)
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except (importers.ImportFailed, prisma.PrismaInconsistent, ValueError, OSError) as error:
            raise CommandError(str(error), returncode=1) from None

    # ---------------------------------------------------------------- import

    def _read(
        self, path: str, source: str | None, file_format: str | None,
        mapping: dict[str, str] | None = None,
    ) -> Any:
        options = {"mapping": mapping} if mapping else {}
        return importers.read_file(path, source or Path(path).stem, file_format, **options)

    def _import(self, options: dict[str, Any]) -> None:
        if options["project"]:
            self._import_into_project(options)
            return
        table = Table("file", "source", "format", "encoding", "records", "warnings")
        results = []
        with Progress(console=self.console, transient=True) as progress:
            task = progress.add_task("Reading", total=len(options["files"]))
            mapping = _mapping(options["map"])
            for path in options["files"]:
                result = self._read(path, options["source"], options["format"], mapping)
                results.append(result)
                table.add_row(path, result.source, result.format, result.encoding,
                              str(len(result.records)), str(len(result.problems)))
                progress.advance(task)
        self.console.print(table)
        for source, n in importers.counts_by_source(results).items():
            self.console.print(f"{source}: {n} records")

    def _import_into_project(self, options: dict[str, Any]) -> None:
        from empower.web.reviews.logic import import_export
        from empower.web.reviews.models import Project

        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No review {options['project']}.", returncode=2)
        search = project.searches.filter(pk=options["search"]).first()
        if search is None:
            known = ", ".join(f"{s.pk} ({s.database})" for s in project.searches.all())
            raise CommandError(f"Give --search, one of: {known or 'none recorded'}.",
                               returncode=2)
        for path in options["files"]:
            result, removed, queued = import_export(
                project, search, Path(path).read_bytes(), Path(path).name,
                options["format"] or "", None, _mapping(options["map"]),
            )
            self.console.print(f"{result.summary()}; {removed} duplicates removed, "
                               f"{queued} pairs for a person to decide")

    # ---------------------------------------------------------------- dedup

    def _dedup(self, options: dict[str, Any]) -> None:
        names = options["source"] or []
        if names and len(names) != len(options["files"]):
            raise CommandError("Give one --source per file, or none.", returncode=2)
        records = []
        for n, path in enumerate(options["files"]):
            records += self._read(path, names[n] if names else None, None).records
        with Progress(console=self.console, transient=True) as progress:
            progress.add_task(f"Comparing {len(records)} records", total=None)
            result = dedup.find_duplicates(records)
        self.console.print(
            f"{len(records)} records: {len(result.groups)} groups of duplicates "
            f"({result.duplicates_removed} to remove), {len(result.uncertain)} uncertain pairs "
            f"for a person to decide."
        )
        if options["output"]:
            Path(options["output"]).write_text(_dedup_csv(records, result), encoding="utf-8")
            self.console.print(f"Wrote {options['output']}")

    # ---------------------------------------------------------------- simulate

    def _simulate(self, options: dict[str, Any]) -> None:
        texts, truth = _labelled(Path(options["file"]))
        if not any(truth) or all(truth):
            raise CommandError("The file needs both relevant and irrelevant records.",
                               returncode=1)
        runs = []
        with Progress(console=self.console, transient=True) as progress:
            task = progress.add_task("Simulating", total=options["runs"])
            for n in range(options["runs"]):
                runs.append(simulate(texts, truth, seed=options["seed"] + n))
                progress.advance(task)
        baseline = random_baseline(truth, seed=options["seed"], n_runs=options["runs"])
        table = Table("order", "WSS@95", "RRF@10")
        wss = [r.wss_at_95 for r in runs]
        rrf = [r.rrf_at_10 for r in runs]
        # RRF@10 is a share of the relevant records; shown as a percentage, as usually reported.
        table.add_row("prioritised", f"{sum(wss) / len(wss):.3f}",
                      f"{100 * sum(rrf) / len(rrf):.1f} %")
        table.add_row("random", f"{baseline.wss_at_95:.3f}", f"{100 * baseline.rrf_at_10:.1f} %")
        self.console.print(f"{len(texts)} records, {sum(truth)} relevant, {options['runs']} runs")
        self.console.print(table)

    # ---------------------------------------------------------------- prisma

    def _prisma(self, options: dict[str, Any]) -> None:
        from empower.web.reviews.logic import prisma_log
        from empower.web.reviews.models import Project

        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No review {options['project']}.", returncode=2)
        counts = prisma.prisma_counts(prisma_log(project))
        fmt, out = options["format"], Path(options["output"])
        if fmt == "svg":
            out.write_text(prisma_diagram.prisma_svg(counts), encoding="utf-8")
        elif fmt == "png":
            out.write_bytes(prisma_diagram.prisma_png(counts))
        elif fmt == "pdf":
            out.write_bytes(prisma_diagram.prisma_pdf(counts))
        else:
            out.write_text(prisma_r_csv(counts), encoding="utf-8")
        self.console.print(f"Wrote {out}")


def _labelled(path: Path) -> tuple[list[str], list[bool]]:
    """Texts and truth from a labelled screening CSV (``label2 == "I"`` is relevant)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "label2" not in rows[0]:
        raise CommandError(f"{path}: needs a label2 column (I = included).", returncode=1)
    texts = [
        " ".join(filter(None, [r.get("title"), r.get("abstracts") or r.get("abstract"),
                               r.get("keywords")]))
        for r in rows
    ]
    return texts, [r["label2"].strip() == "I" for r in rows]


def _dedup_csv(records: list[Any], result: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "group_or_pair", "source", "source_id", "year", "title", "reasons"])
    for n, group in enumerate(result.groups, 1):
        for i in group:
            r = records[i]
            writer.writerow(["duplicate", n, r.source, r.source_id, r.year, r.title, ""])
    for n, pair in enumerate(result.uncertain, 1):
        for i in (pair.i, pair.j):
            r = records[i]
            writer.writerow(["uncertain", n, r.source, r.source_id, r.year, r.title,
                             "; ".join(pair.reasons)])
    return buffer.getvalue()


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise CommandError(f"--map {pair!r}: write COLUMN=FIELD.", returncode=2)
        mapping[column.strip()] = field.strip().lower()
    return mapping or None
