"""``empower backup FILE``: the whole database in one encrypted file.

By default the file is encrypted with the current data key, so restoring it needs that key.
``--passphrase-stdin`` (or ``--passphrase``, which asks) encrypts it with a passphrase instead,
for an off-site copy that can be restored even if the data key is lost.
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
from empower.web.backup import BackupError, audit, check_passphrase, row_count, write_backup


class Command(BaseCommand):
    help = "Write the whole database to one encrypted backup file."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The backup file to write.")
        protection = parser.add_mutually_exclusive_group()
        protection.add_argument(
            "--passphrase-stdin", action="store_true",
            help="Encrypt with a passphrase read from the first line of standard input "
                 "instead of the data key (for an off-site copy).",
        )
        protection.add_argument(
            "--passphrase", action="store_true",
            help="Encrypt with a passphrase typed at a prompt instead of the data key.",
        )
        parser.add_argument(
            "--overwrite", action="store_true", help="Replace FILE if it exists already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            passphrase = self._passphrase(options)
            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("Reading the database", total=row_count())
                manifest, header, size = write_backup(
                    path, passphrase=passphrase, overwrite=options["overwrite"],
                    progress=lambda n: bar.advance(task, n),
                )
            rows = sum(manifest["counts"].values())
            audit("backup", protection=header.protection, key_id=header.key_id or "",
                  rows=rows)
        except (BackupError, crypto.EncryptionKeyError) as error:
            raise CommandError(str(error)) from None
        kinds = sum(1 for n in manifest["counts"].values() if n)
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {path} ({size / 1024:,.1f} KiB): {rows} rows of {kinds} kinds of record."
        ))
        if header.protection == "passphrase":
            self.stdout.write(
                "It is encrypted with your passphrase. Keep the passphrase safe and apart from "
                "the file: without it, this backup cannot be restored by anyone."
            )
        else:
            self.stdout.write(
                f"It is encrypted with data key {header.key_id}. Restoring it needs that key: "
                "keep your copy of the key (not beside this file) for as long as you keep "
                "the backup."
            )

    def _passphrase(self, options: dict[str, Any]) -> str | None:
        if options["passphrase_stdin"]:
            stdin = options.get("stdin") or sys.stdin
            passphrase = stdin.readline().rstrip("\r\n")
            check_passphrase(passphrase)
            return passphrase
        if options["passphrase"]:
            first = getpass.getpass("Passphrase for the backup: ")
            check_passphrase(first)
            if first != getpass.getpass("Again: "):
                raise CommandError("The two passphrases differ.")
            return first
        return None
