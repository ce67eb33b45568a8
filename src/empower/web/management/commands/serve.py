"""``empower serve``: serve the site on http://127.0.0.1:8000 and say how to log in."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from empower.web.accounts.models import Organisation

from .demo import DEMO_PASSWORD, DEMO_SLUG, DEMO_USERS


class Command(BaseCommand):
    help = "Serve the site (for one office or a trial; use a WSGI server for production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Empower is at {url}"))
        if Organisation.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(f"Demo logins (synthetic data), password {DEMO_PASSWORD}:")
            for username, role in DEMO_USERS:
                self.stdout.write(f"  {username:18} {role.label}")
        self.stdout.write("Stop with Ctrl+C.")
        call_command(
            "runserver", f"{options['host']}:{options['port']}",
            use_reloader=False, skip_checks=False,
        )
