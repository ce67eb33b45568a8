"""How long the heaviest pages take through the site, on the demo organisation.

In a throwaway SQLite database, the demo organisation (``empower demo``: 76 participants, their
consents and assessments) is loaded; then each page is requested through Django's test client,
logged in as the demo analyst (the interviewer for the interview), and timed:

* ``first``: the first request after the organisation's data changed (nothing stored yet: the
  report or quality figures are computed and rendered);
* ``again``: the median of the next ``--repeat`` requests (served from the stored result);
* ``after a change``: the first request after one new assessment was saved.

The first request of the process also pays for imports (pandas, matplotlib, the statistics
libraries): a warm-up request to the home page comes first so that it is not counted.

    .venv/bin/python benchmarks/pages_benchmark.py
    .venv/bin/python benchmarks/pages_benchmark.py --repeat 10
    .venv/bin/python benchmarks/pages_benchmark.py --assessments 10000
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any


def start_django(folder: Path, assessments: int = 0) -> None:
    """Point Django at a fresh SQLite database in ``folder`` (or ``DATABASE_URL`` when set, which
    must name an empty database) and load the demo, grown to ``assessments`` if more."""
    os.environ["EMPOWER_VAR_DIR"] = str(folder)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.sqlite3'}")
    os.environ["EMPOWER_DATA_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    os.environ["EMPOWER_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "empower.web.settings"
    os.environ.pop("EMPOWER_DEBUG", None)
    import django
    from django.core.management import call_command

    if assessments:
        sys.path.insert(0, str(Path(__file__).parent))
        from load_test import prepare

        print("{:,} participants, {:,} assessments".format(*prepare(assessments, 0, 0)))
        return
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0, stdout=io.StringIO())


def timed(client: Any, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed


def add_assessment(participant: Any) -> None:
    from empower.instruments import get_instrument
    from empower.web.assessments.recording import record_assessment

    record_assessment(
        participant=participant, instrument=get_instrument("empowerment-interview", "2.0"),
        conducted_on=date.today(), language="en", interviewer=None,
        answers={f"rating__{axis}": 6 for axis in
                 ("healing", "purpose", "inner_peace", "self_capacity")},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--assessments", type=int, default=0,
                        help="grow the demo organisation to this many assessments")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        start_django(Path(folder), args.assessments)
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from empower.web.accounts.models import Membership
        from empower.web.assessments.cohort import reportable_participants

        setup_test_environment()
        analyst = Membership.objects.select_related("user", "organisation").get(
            user__username="demo-analyst")
        people = list(reportable_participants(analyst.organisation).order_by("pk")[:2])
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(analyst.user)
        timed(client, reverse("home"))
        pages = {
            "cohort report": reverse("cohort_report"),
            "instrument quality (scales 1.0)":
                reverse("instrument_quality", args=["empowerment-scales", "1.0"]),
            "instrument quality (interview 2.0)":
                reverse("instrument_quality", args=["empowerment-interview", "2.0"]),
            "participant page": reverse("participant_detail", args=[people[0].code]),
        }
        print(f"{'page':36} {'first':>8} {'again':>8} {'after a change':>15}")
        for name, url in pages.items():
            first = timed(client, url)
            again = statistics.median(timed(client, url) for _ in range(args.repeat))
            add_assessment(people[1])
            changed = timed(client, url)
            print(f"{name:36} {first:7.2f}s {again:7.2f}s {changed:14.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
