"""The queue's side of jobs: the worker (``empower run_huey``) finds this task here."""

from huey.contrib.djhuey import db_task

from . import runner


@db_task(retries=0)
def run_job(job_id: int) -> None:
    runner.run(job_id)
