"""``empower audit verify`` and ``empower audit head``: check the audit trail's hash chain.

``verify`` exits 0 when every entry is intact and 1 when it finds a problem, so that a cron
job or a monitoring script can rely on the exit code. Both print the head hash: write it down
(or send it somewhere else) now and then, because a chain rewritten from start to end can only
be caught by comparing its head with one noted earlier.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from empower.web.audit.log import chain_head, verify_chain


class Command(BaseCommand):
    help = "Check the audit trail (verify) or print the newest entry's number and hash (head)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "subcommand", choices=["verify", "head"],
            help="verify: recompute every hash; head: print the chain head.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "head":
            sequence, head_hash = chain_head()
            self.stdout.write(f"{sequence} {head_hash}")
            return
        result = verify_chain()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(
                f"Audit trail intact: {result.checked} entries, head {result.head_hash}"
            ))
            return
        for problem in result.problems:
            self.stderr.write(f"- {problem}")
        raise CommandError(
            f"Audit trail NOT intact: {len(result.problems)} problem(s) in "
            f"{result.checked} entries. See docs/audit.md.",
            returncode=1,
        )
