"""The ``empower`` command.

Empower's own commands (``serve``, ``demo``, ``report``) and all of Django's management
commands (``migrate``, ``createsuperuser`` …) are reached the same way::

    empower migrate
    empower demo --if-empty
    empower report --format json --output cohort.json
    empower serve
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empower.web.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["empower", *args])


if __name__ == "__main__":
    main()
