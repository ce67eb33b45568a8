"""``empower audit verify | head | checkpoint``: check the audit trail and keep its head.

``verify`` exits 0 when every entry is intact and 1 when it finds a problem, so that a cron
job or a monitoring script can rely on the exit code. ``checkpoint`` writes the signed chain
head for keeping outside the database; ``verify --checkpoints FILE …`` then also proves that
the trail was not cut back, emptied or rewritten since (see docs/audit.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from empower.web.audit import checkpoints
from empower.web.audit.log import VerifyResult, chain_head, verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit trail (verify), print the newest entry's number and hash (head), or "
        "write a signed checkpoint of it to keep outside the database (checkpoint)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "subcommand", choices=["verify", "head", "checkpoint"],
            help="verify: check every entry; head: print the chain head; checkpoint: write "
                 "the signed chain head.",
        )
        parser.add_argument(
            "--checkpoints", nargs="+", type=Path, default=[], metavar="FILE",
            help="verify: also check that every checkpoint in these files is still in the "
                 "chain, unchanged.",
        )
        parser.add_argument(
            "--output", type=Path, metavar="FILE",
            help="checkpoint: add the checkpoint as a new line at the end of FILE (created if "
                 "needed) instead of printing it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if options["checkpoints"] and subcommand != "verify":
            raise CommandError("--checkpoints goes with `audit verify`.")
        if options["output"] and subcommand != "checkpoint":
            raise CommandError("--output goes with `audit checkpoint`.")
        if subcommand == "head":
            sequence, head_hash = chain_head()
            self.stdout.write(f"{sequence} {head_hash}")
        elif subcommand == "checkpoint":
            self._checkpoint(options["output"])
        else:
            self._verify(options["checkpoints"])

    def _verify(self, files: list[Path]) -> None:
        try:
            found = [c for path in files for c in checkpoints.read(path)]
        except checkpoints.CheckpointError as error:
            raise CommandError(f"Cannot check the checkpoints: {error}", returncode=1) from None
        result = verify_chain(found)
        for note in result.notes:
            self.stderr.write(f"Note: {note}")
        if not result.ok:
            self._fail(result)
        compared = f", {result.checkpoints} checkpoint(s) still in it" if files else ""
        self.stdout.write(self.style.SUCCESS(
            f"Audit trail intact: {result.checked} entries{compared}, head {result.head_hash}"
        ))

    def _fail(self, result: VerifyResult) -> None:
        for problem in result.problems:
            self.stderr.write(f"- {problem}")
        raise CommandError(
            f"Audit trail NOT intact: {len(result.problems)} problem(s) in "
            f"{result.checked} entries. See docs/audit.md.",
            returncode=1,
        )

    def _checkpoint(self, output: Path | None) -> None:
        # A checkpoint vouches for the trail as it is: never sign one that is already damaged.
        result = verify_chain()
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(
                "No checkpoint written: the audit trail is NOT intact. See docs/audit.md.",
                returncode=1,
            )
        line = checkpoints.make(result.head_sequence, result.head_hash).to_line()
        if output is None:
            self.stdout.write(line)
            return
        try:
            _append_line(output, line)
        except OSError as error:
            raise CommandError(f"Cannot write to {output}: {error.strerror}.") from None
        self.stdout.write(
            f"Checkpoint of entry {result.head_sequence} added to {output}. Keep a copy away "
            "from this server."
        )


def _append_line(path: Path, line: str) -> None:
    """Add ``line`` to the end of ``path`` and make sure it reached the disk."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
