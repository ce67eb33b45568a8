"""``flush``: Django's command that empties the whole database, audit trail included.

The audit tables refuse to be emptied (see ``empower.web.audit.guards``), so this command lifts
their guards for its own transaction only, and puts them back before it commits. The test
suite empties the database this way between tests. On a real installation, checkpoints kept
outside the database show afterwards that the trail was emptied.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

from empower.web.audit import guards


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        with transaction.atomic(using=database), guards.suspended(connections[database]):
            super().handle(**options)
