"""Many people at once on the production server: requests per second, median and 95th
percentile per page, and errors.

1. A PostgreSQL database is made afresh (``--database``, default ``empower_load`` on the local
   server) and the demo organisation is loaded; more synthetic participants are added (the demo
   cohort again with other seeds) until it holds ``--assessments`` assessments; 40 interviewer
   and 10 analyst accounts are made (``--interviewers``, ``--analysts``).
2. ``empower serve`` starts the site as it runs in an office: gunicorn workers and the
   background-jobs worker, on 127.0.0.1.
3. Locust (``benchmarks/locustfile.py``) plays everyone for ``--minutes`` minutes, each person
   pausing one to three seconds between actions.

    .venv/bin/pip install locust          # not needed by the site itself
    .venv/bin/python benchmarks/load_test.py                       # 1,000 assessments, 5 min
    .venv/bin/python benchmarks/load_test.py --assessments 10000 --minutes 5
    .venv/bin/python benchmarks/load_test.py --minutes 1 --interviewers 8 --analysts 2
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PASSWORD = "load-test-password-2026"


def fresh_database(name: str) -> str:
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
                       check=True)
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def prepare(assessments: int, interviewers: int, analysts: int) -> tuple[int, int]:
    """Load the data and the accounts (in this process, with the environment already set)."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0, stdout=open(os.devnull, "w"))

    from django.contrib.auth import get_user_model
    from django.db import connections, transaction

    from empower.demo import pilot_cohort
    from empower.instruments import library
    from empower.web.accounts.models import Membership, Organisation
    from empower.web.assessments.models import Assessment
    from empower.web.management.commands.demo import DEMO_SLUG
    from empower.web.management.commands.demo import Command as Demo

    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    User = get_user_model()
    interviewer = User.objects.get(username="demo-interviewer")
    instruments, seed = library(), 3000
    while Assessment.objects.count() < assessments:
        with transaction.atomic():
            for person in pilot_cohort(seed=seed):
                Demo()._participant(organisation, person, interviewer, instruments)
        seed += 1
        print(f"  {Assessment.objects.count():,} assessments", end="\r", flush=True)
    print()
    for role, count in (("interviewer", interviewers), ("analyst", analysts)):
        for n in range(1, count + 1):
            user = User.objects.create_user(username=f"load-{role}-{n}", password=PASSWORD)
            Membership.objects.create(user=user, organisation=organisation, role=role)
    counts = (organisation.participant_set.count(), Assessment.objects.count())
    connections.close_all()
    return counts


def wait_for(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def summary(stats_csv: Path) -> str:
    rows = list(csv.DictReader(stats_csv.open()))
    lines = ["| page | requests | per second | median | 95 % | errors |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['Name']} | {int(row['Request Count']):,} | "
            f"{float(row['Requests/s']):.1f} | {float(row['Median Response Time']):.0f} ms | "
            f"{float(row['95%']):.0f} ms | {row['Failure Count']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="empower_load")
    parser.add_argument("--assessments", type=int, default=1000)
    parser.add_argument("--interviewers", type=int, default=40)
    parser.add_argument("--analysts", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="empower-load-"))
    os.environ.update({
        "DATABASE_URL": fresh_database(args.database),
        "EMPOWER_VAR_DIR": str(folder),
        "EMPOWER_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "EMPOWER_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "empower.web.settings",
    })
    os.environ.pop("EMPOWER_DEBUG", None)
    print(f"Preparing {args.assessments:,} assessments and "
          f"{args.interviewers + args.analysts} accounts …")
    people, assessments = prepare(args.assessments, args.interviewers, args.analysts)
    print(f"{people:,} participants, {assessments:,} assessments")

    host = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([str(BIN / "empower"), "serve", "--port", str(args.port)],
                              stdout=(folder / "server.log").open("w"),
                              stderr=subprocess.STDOUT)
    try:
        wait_for(f"{host}/login/")
        users = args.interviewers + args.analysts
        subprocess.run([
            str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
            "--users", str(users), "--spawn-rate", "10", "--run-time", f"{args.minutes * 60:.0f}s",
            "--host", host, "--csv", str(folder / "load"), "--only-summary",
        ], check=False, stdout=subprocess.DEVNULL)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"\n{users} people ({args.interviewers} interviewers, {args.analysts} analysts) for "
          f"{args.minutes:g} min, {assessments:,} assessments, on PostgreSQL:\n")
    print(summary(folder / "load_stats.csv"))
    print(f"\nServer log and Locust's files: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
