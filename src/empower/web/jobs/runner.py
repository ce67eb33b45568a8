"""Starting a job, running it in the background worker, and keeping its progress.

``start`` records the job and hands it to the queue (Huey: an SQLite file on one machine, Redis
when ``EMPOWER_REDIS_URL`` is set). The worker calls ``run``, which runs the job's kind with a
``Progress`` it reports to; the job's page reads the row. A job that fails says why in plain
words and leaves nothing half-written (each kind writes inside one transaction or not at all).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from empower.web.accounts.models import Organisation

from .models import Job, Status

logger = logging.getLogger(__name__)


class JobError(Exception):
    """A failure to show as it is: its message is already plain words for the user."""


class Progress:
    """What a running job reports: ``progress.step(2, _("Drawing the charts"))``."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def step(self, done: int, name: str) -> None:
        Job.objects.filter(pk=self.job.pk).update(done_steps=done, step=name[:120])


#: kind → (steps in all, what it does). Filled by ``kinds``.
Kind = Callable[[Job, Progress], None]
KINDS: dict[str, tuple[int, Kind]] = {}


def kind(name: str, steps: int) -> Callable[[Kind], Kind]:
    def register(function: Kind) -> Kind:
        KINDS[name] = (steps, function)
        return function
    return register


def _queue() -> Any:
    from huey.contrib.djhuey import HUEY

    return HUEY


def start(name: str, organisation: Organisation, user: Any, params: dict[str, Any],
          result_url: str = "") -> Job:
    """The job doing ``name`` with ``params`` for the organisation: one already queued or
    running for the same thing is reused, so that ten people opening a page start one job."""
    from . import kinds  # noqa: F401  (registers the kinds)

    steps, _function = KINDS[name]
    waiting = Job.objects.filter(organisation=organisation, kind=name,
                                 status__in=(Status.QUEUED, Status.RUNNING))
    for job in waiting:
        if job.params == params:
            return job
    job = Job.objects.create(organisation=organisation, started_by=user, kind=name,
                             params=params, total_steps=steps, result_url=result_url)
    queue = _queue()
    if queue.immediate:
        run(job.pk)  # tests and EMPOWER_DEBUG: in the request itself
        job.refresh_from_db()
    else:
        from .tasks import run_job

        # Queued only once the job's row is committed, so the worker always finds it.
        transaction.on_commit(lambda: run_job(job.pk))
    return job


def run(job_id: int) -> None:
    """Run one job to its end (the worker calls this); a finished job is not run again."""
    from . import kinds  # noqa: F401

    claimed = Job.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = Job.objects.select_related("organisation").get(pk=job_id)
    steps, function = KINDS[job.kind]
    with translation.override(job.params.get("language") or "en"):
        try:
            function(job, Progress(job))
        except JobError as error:
            _finish(job, Status.FAILED, str(error))
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            _finish(job, Status.FAILED, _(
                "Something went wrong while doing this, and nothing was changed. Try again; "
                "if it happens again, tell your administrator (the server's log has the details)."
            ))
        else:
            _finish(job, Status.DONE, "", done_steps=steps)


def _finish(job: Job, status: str, message: str, **fields: Any) -> None:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "message", "finished_at", *fields])
