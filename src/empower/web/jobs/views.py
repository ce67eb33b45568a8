"""A job's page: its progress while it runs, the result when it is done, why if it failed."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from empower.web.accounts.permissions import CAN_READ_REPORTS, role_required

from .models import Job, Status

#: How long a job may wait in the queue before the page says the worker may not be running.
WORKER_SILENT_AFTER = timedelta(minutes=1)


@role_required(*CAN_READ_REPORTS)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk, organisation=request.organisation)  # type: ignore[attr-defined]
    if job.status == Status.DONE and job.result_url:
        return redirect(job.result_url)
    waiting_long = (job.status == Status.QUEUED
                    and timezone.now() - job.created_at > WORKER_SILENT_AFTER)
    return render(request, "jobs/job_detail.html", {
        "job": job, "waiting_long": waiting_long,
        "elapsed": int((timezone.now() - (job.started_at or job.created_at)).total_seconds()),
    })
