"""The real background worker: a job handed to the queue by one process is run by the worker
process and its result is there for the site — on the SQLite queue (the default) and on Redis.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

EMPOWER = Path(sys.executable).with_name("empower")

SCRIPT = """
import time
from empower.web.accounts.models import Membership
from empower.web.assessments.cohort import stored_cohort_report_html
from empower.web.jobs.runner import start
analyst = Membership.objects.select_related("organisation", "user").get(
    user__username="demo-analyst")
job = start("cohort_report", analyst.organisation, analyst.user,
            {"language": "bn", "audience": "internal"})
for _ in range(600):
    job.refresh_from_db()
    if job.finished:
        break
    time.sleep(0.1)
html = stored_cohort_report_html(analyst.organisation, "bn", "internal") or ""
print("STATUS", job.status, job.done_steps, job.total_steps, "SVG" if "<svg" in html else "-")
"""


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def _env(folder: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "EMPOWER_VAR_DIR": str(folder), **extra}
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "EMPOWER_DEBUG"):
        env.pop(name, None)
    return env


def _run_a_job_through_the_worker(env: dict[str, str]) -> str:
    for command in (["migrate", "--no-input", "-v", "0"], ["demo", "-v", "0"]):
        subprocess.run([str(EMPOWER), *command], env=env, check=True, capture_output=True)
    worker = subprocess.Popen([str(EMPOWER), "run_huey", "--workers", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        done = subprocess.run([str(EMPOWER), "shell", "-c", SCRIPT], env=env, timeout=120,
                              capture_output=True, text=True, check=True)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return done.stdout


def test_the_worker_runs_a_job_from_the_sqlite_queue(tmp_path):
    assert "STATUS done 2 2 SVG" in _run_a_job_through_the_worker(_env(tmp_path))


def test_the_worker_runs_a_job_from_redis(tmp_path):
    if not _redis_up():
        if os.environ.get("EMPOWER_REQUIRE_REDIS"):
            pytest.fail("Redis is not running on 127.0.0.1:6379")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    # A database of its own on the server, emptied first, so no other queue is touched.
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/13")
    client.flushdb()
    env = _env(tmp_path, EMPOWER_REDIS_URL="redis://127.0.0.1:6379/13")
    try:
        assert "STATUS done 2 2 SVG" in _run_a_job_through_the_worker(env)
    finally:
        client.flushdb()
