"""``empower serve``: serve the site on http://127.0.0.1:8000 and say how to log in."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from empower.web.accounts.models import Organisation

from .demo import DEMO_SLUG, login_lines


class Command(BaseCommand):
    help = "Serve the site (for one office or a trial; use a WSGI server for production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Empower is at {url}"))
        if Organisation.objects.filter(slug=DEMO_SLUG).exists():
            for line in login_lines():
                self.stdout.write(line)
        self.stdout.write("Stop with Ctrl+C.")
        call_command(
            "runserver", f"{options['host']}:{options['port']}",
            use_reloader=False, skip_checks=False,
        )
