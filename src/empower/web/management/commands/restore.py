"""``empower restore FILE``: bring back a backup into a new, empty database.

Create the database, run ``empower migrate``, then ``empower restore FILE``. Everything is
loaded in one transaction and every row count is checked against the backup's record; if
anything is wrong, nothing is written. ``--check`` only decrypts and reads the file.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import Progress

from empower.web import crypto
from empower.web.backup import (
    BackupError,
    decode_payload,
    read_file,
    read_header,
    restore,
    unseal,
)


class Command(BaseCommand):
    help = "Restore a backup file into a new, empty database (after `empower migrate`)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The backup file to restore.")
        parser.add_argument(
            "--passphrase-stdin", action="store_true",
            help="Read the backup's passphrase from the first line of standard input.",
        )
        parser.add_argument(
            "--check", action="store_true",
            help="Only decrypt and read the backup and say what it holds; change nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = read_file(path)
            header = read_header(data)
            passphrase = self._passphrase(options, header.protection)
            archive = decode_payload(unseal(data, passphrase))
            manifest = archive["manifest"]
            if options["check"]:
                self._summary(f"{path} is readable. It was made on "
                              f"{manifest.get('created_at', '?')} and holds:", manifest["counts"])
                return
            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("Restoring", total=len(archive["objects"]))
                result = restore(archive, progress=lambda n: bar.advance(task, n))
        except (BackupError, crypto.EncryptionKeyError) as error:
            raise CommandError(str(error)) from None
        self._summary(
            f"Restored {path} (made on {manifest.get('created_at', '?')}); every row count "
            "matches the backup:", result.counts,
        )
        if result.newer_migrations:
            self.stdout.write(
                "This database has changes the backup's did not "
                f"({len(result.newer_migrations)} migration(s)); the data were loaded into "
                "the newer structure."
            )

    def _summary(self, title: str, counts: dict[str, int]) -> None:
        self.stdout.write(self.style.SUCCESS(title))
        for label, count in counts.items():
            if count:
                self.stdout.write(f"  {label:35} {count:>8}")
        self.stdout.write(f"  {'total':35} {sum(counts.values()):>8}")

    def _passphrase(self, options: dict[str, Any], protection: str) -> str | None:
        if protection != "passphrase":
            return None
        if options["passphrase_stdin"]:
            stdin = options.get("stdin") or sys.stdin
            return stdin.readline().rstrip("\r\n")
        if sys.stdin.isatty():
            return getpass.getpass("Passphrase of the backup: ")
        raise CommandError(
            "This backup is protected by a passphrase: give it with --passphrase-stdin."
        )
