"""``empower rotate_key``: encrypt every identifying value with a new data key.

With the key file (the default): a new key is written first in the file, every value is
re-encrypted with it in one transaction, and then the old keys are removed from the file
(``--keep-old`` keeps them). With ``EMPOWER_DATA_KEY`` Empower cannot change the keys itself:
put a new key first in the variable, then run ``empower rotate_key --reencrypt``.

Stop the site and any other Empower process first: a process started before the rotation still
holds the old key in memory and would go on writing with it.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.console import Console
from rich.progress import Progress

from empower.web import crypto
from empower.web.backup import (
    Reencryption,
    audit,
    encrypted_row_count,
    reencrypt_all,
    stored_key_ids,
)

NEW_KEY_COMMAND = (
    '.venv/bin/python -c "from empower.web.crypto import new_key; print(new_key())"'
)


def _key_text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


class Command(BaseCommand):
    help = (
        "Encrypt all identifying data with a new key. Stop the site first. With the keys in "
        "EMPOWER_DATA_KEY, put a new key first there and use --reencrypt."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reencrypt", action="store_true",
            help="Make no new key: re-encrypt every value with the first key of the ring "
                 "(after putting a new key first in EMPOWER_DATA_KEY, or to finish a rotation "
                 "that was interrupted).",
        )
        parser.add_argument(
            "--keep-old", action="store_true",
            help="Leave the old keys in the key file after re-encrypting (default: remove).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if os.environ.get("EMPOWER_DATA_KEY"):
                self._from_environment(options)
            else:
                self._from_file(options)
        except crypto.EncryptionKeyError as error:
            raise CommandError(str(error)) from None

    # --- the two sources of keys -------------------------------------------------------------

    def _from_environment(self, options: dict[str, Any]) -> None:
        if not options["reencrypt"]:
            raise CommandError(
                "The keys come from the EMPOWER_DATA_KEY environment variable, which Empower "
                "cannot change. To rotate:\n"
                f"  1. make a new key:  {NEW_KEY_COMMAND}\n"
                "  2. put it first in EMPOWER_DATA_KEY, before the current key and separated "
                "by a comma, for every Empower process, and restart them;\n"
                "  3. run `empower rotate_key --reencrypt`;\n"
                "  4. remove the old key from EMPOWER_DATA_KEY and restart again.\n"
                "Back up the new key before step 3."
            )
        ring = crypto.key_ring()
        new_id = crypto.key_id(ring.primary)
        old_ids = [crypto.key_id(k) for k in ring.keys[1:]]
        self._reencrypt(new_id, old_ids, source="environment")
        leftover = self._leftover(new_id)
        if leftover:
            self._warn_leftover(leftover, new_id)
        elif old_ids:
            self.stdout.write(
                f"Now remove the old key(s) {', '.join(old_ids)} from EMPOWER_DATA_KEY, so "
                f"that it holds only the key with id {new_id}, and restart Empower. Keep a "
                "copy of the old key(s) for as long as you keep backups made with them."
            )
        else:
            self.stdout.write(
                f"EMPOWER_DATA_KEY holds one key ({new_id}); there is no old key to remove."
            )

    def _from_file(self, options: dict[str, Any]) -> None:
        path = crypto.key_file_path()
        ring = crypto.key_ring()  # creates the key file if there is none yet
        keys = [_key_text(k) for k in ring.keys]
        if not options["reencrypt"]:
            keys.insert(0, crypto.new_key())
            # The new ring goes to disk before any value is encrypted with it, and the old keys
            # stay in it: if anything below fails, every value can still be read.
            crypto.write_key_file(path, keys)
            crypto.reset_key_ring()
            ring = crypto.key_ring()
            self.stdout.write(
                f"New key {crypto.key_id(ring.primary)} written first in {path}; the old key(s) "
                "stay after it until every value is re-encrypted."
            )
        new_id = crypto.key_id(ring.primary)
        old_ids = [crypto.key_id(k) for k in ring.keys[1:]]
        self._reencrypt(new_id, old_ids, source="key file")
        leftover = self._leftover(new_id)
        if leftover:
            self._warn_leftover(leftover, new_id)
        elif options["keep_old"] or not old_ids:
            if old_ids:
                self.stdout.write(f"The old key(s) {', '.join(old_ids)} stay in {path}.")
        else:
            crypto.write_key_file(path, keys[:1])
            crypto.reset_key_ring()
            self.stdout.write(f"Removed the old key(s) {', '.join(old_ids)} from {path}.")
        self.stdout.write(self.style.WARNING(
            f"Back up {path} now, away from this machine and away from the database backups. "
            "Backups made before this rotation need the old key: keep your copy of it for as "
            "long as you keep them. Restart Empower so that it uses the new key."
        ))

    # --- the work ----------------------------------------------------------------------------

    def _reencrypt(self, new_id: str, old_ids: list[str], source: str) -> Reencryption:
        total = encrypted_row_count()
        try:
            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("Re-encrypting", total=total)
                with transaction.atomic():
                    result = reencrypt_all(progress=lambda n: bar.advance(task, n))
                    audit(
                        "key.rotated", new_key_id=new_id, old_key_ids=old_ids, source=source,
                        rows=result.rows, values=result.values,
                    )
        except Exception as error:
            raise CommandError(
                f"Re-encryption failed, and the database was left as it was ({error}). The "
                f"key ring still holds the old key(s), so everything stays readable. Run "
                "`empower rotate_key --reencrypt` to try again."
            ) from error
        self.stdout.write(
            f"Re-encrypted {result.values} value(s) in {result.rows} row(s) with key {new_id}."
        )
        for context, count in sorted(result.by_field.items()):
            self.stdout.write(f"  {context:45} {count}")
        return result

    def _leftover(self, new_id: str) -> int:
        """Values still under another key (written meanwhile by a process that was running)."""
        return sum(n for kid, n in stored_key_ids().items() if kid != new_id)

    def _warn_leftover(self, leftover: int, new_id: str) -> None:
        self.stdout.write(self.style.WARNING(
            f"{leftover} value(s) were written with an old key while this ran, so the old "
            "key(s) were kept. Stop every Empower process, then run "
            f"`empower rotate_key --reencrypt` to move them to key {new_id}."
        ))
