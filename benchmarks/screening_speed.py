"""How long a reviewer waits between two records while screening, through the site.

The 1,488 PubMed records of the three labelled reviews in shared/data/screening (Cohen et al.
2006) go into one review project in a throwaway SQLite database; a reviewer then screens
``--decisions`` records through the screening page (Django's test client), deciding by the
published labels. Each time is one decision: the POST of the decision and the GET of the next
record, which is where the screening model is trained (after every ``RETRAIN_EVERY`` decisions).

    .venv/bin/python benchmarks/screening_speed.py
    .venv/bin/python benchmarks/screening_speed.py --decisions 40
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from pages_benchmark import start_django

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "screening"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        start_django(Path(folder))
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from empower.web.accounts.models import Membership
        from empower.web.reviews.logic import RETRAIN_EVERY
        from empower.web.reviews.models import Project, Record

        setup_test_environment()
        analyst = Membership.objects.select_related("user", "organisation").get(
            user__username="demo-analyst")
        project = Project.objects.create(organisation=analyst.organisation, title="Drug reviews",
                                         question="drug efficacy randomised controlled trial")
        frame = pd.concat(pd.read_csv(DATA / f"{name}.csv")
                          for name in ("ADHD", "Antihistamines", "UrinaryIncontinence"))
        Record.objects.bulk_create(
            Record(project=project, source="PubMed", title=str(row.title),
                   abstract="" if pd.isna(row.abstracts) else str(row.abstracts))
            for row in frame.itertuples()
        )
        relevant = {str(t) for t in frame[frame["label1"] == 1]["title"]}
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(analyst.user)
        url = reverse("review_screen", args=[project.pk])
        record = client.get(url).context["record"]
        times = []
        for _ in range(args.decisions):
            start = time.perf_counter()
            client.post(url, {"record": record.pk,
                              "value": "1" if record.title in relevant else "0"})
            record = client.get(url).context["record"]
            times.append(time.perf_counter() - start)
        print(f"{len(frame):,} records, {args.decisions} decisions, model trained every "
              f"{RETRAIN_EVERY}: median {statistics.median(times) * 1000:.0f} ms, "
              f"slowest {max(times) * 1000:.0f} ms, mean {statistics.mean(times) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
