"""``empower serve``: serve the site on http://127.0.0.1:8000 and say how to log in.

The site runs under gunicorn, a production WSGI server: several worker processes, so that one
slow report does not hold up an interviewer saving an assessment; each worker with a few
threads for requests that mostly wait on the database. Static files are collected and
compressed once at start, then served by WhiteNoise with long cache lifetimes. The worker that
runs background jobs (``empower run_huey``) starts and stops with it. Django's development
server (auto-reload, detailed error pages, jobs run inside the request) is used only with
``EMPOWER_DEBUG=1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from empower.web.accounts.models import Organisation

from .demo import DEMO_SLUG, login_lines


def default_workers() -> int:
    """One worker per core plus one: the heavy pages are computation, so more workers than
    cores only queue up behind each other (and each one holds its own copy of the statistics
    libraries, ~150 MB)."""
    return (os.cpu_count() or 1) + 1


def warm_up() -> None:
    """Import what the heaviest pages need before the workers start, so that they share it
    and nobody's first request pays seconds of imports."""
    import empower.metrics.structure  # (factor analysis: semopy, factor_analyzer)
    import empower.reports.cohort  # (charts: matplotlib)
    import empower.web.urls  # noqa: F401  (every view and form)


class Command(BaseCommand):
    help = "Serve the site with a production WSGI server (gunicorn) and print the logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help="worker processes (default: cores + 1)")
        parser.add_argument("--threads", type=int, default=4,
                            help="threads per worker (default: 4)")

    def handle(self, *args: Any, **options: Any) -> None:
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Empower is at {url}"))
        if Organisation.objects.filter(slug=DEMO_SLUG).exists():
            for line in login_lines():
                self.stdout.write(line)
        self.stdout.write("Stop with Ctrl+C.")
        if settings.DEBUG:
            call_command(
                "runserver", f"{options['host']}:{options['port']}",
                use_reloader=False, skip_checks=False,
            )
            return
        call_command("check", deploy=False)
        call_command("collectstatic", interactive=False, verbosity=0)
        # Serve the collected, compressed copies (see settings: STORAGES) instead of looking the
        # files up in the app folders on each start of a worker.
        settings.WHITENOISE_USE_FINDERS = False
        warm_up()
        # The workers are forked from this process: none may inherit its database connection.
        connections.close_all()
        jobs = start_job_worker()
        try:
            run_gunicorn(options["host"], options["port"], options["workers"],
                         options["threads"])
        finally:
            jobs.terminate()
            jobs.wait(timeout=30)


def start_job_worker() -> subprocess.Popen[bytes]:
    """The background-jobs worker (Huey's consumer) beside the site, so that one command runs
    everything; it stops with the site."""
    return subprocess.Popen([sys.executable, "-m", "empower.cli", "run_huey"])


def run_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    from empower.web.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            # A cohort report for a large organisation may take a while the first time.
            self.cfg.set("timeout", 120)
            self.cfg.set("graceful_timeout", 30)
            # Longer than people pause between pages: a connection closed just as the browser
            # reuses it resets a request (seen in the load test with gunicorn's 2 s).
            self.cfg.set("keepalive", 20)
            self.cfg.set("accesslog", None)
            # No control socket in the home folder: two sites on one machine would share it.
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return application

    Server().run()
