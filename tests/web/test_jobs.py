"""Background jobs: the cohort report is prepared by a job with a progress page when it is not
ready, the page comes back to the report when it is done, and a failure says why."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from empower.web.jobs import kinds, runner
from empower.web.jobs.models import Job, Status

from .test_report_cache import assess


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A queue that only records what was handed to it (the worker is not running)."""
    from huey.contrib.djhuey import HUEY

    from empower.web.jobs import tasks

    sent: list[int] = []
    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(tasks, "run_job", sent.append)
    return sent


@pytest.fixture
def cohort(org_a: Any, make_participant: Any) -> list[Any]:
    people = [make_participant(org_a, gender="female") for _ in range(3)]
    for person in people:
        assess(person)
    return people


def test_a_report_not_ready_is_prepared_in_the_background_with_progress(
    org_a, cohort, login, queued, django_capture_on_commit_callbacks
):
    client = login(org_a, "analyst")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("cohort_report"))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert queued == [job.pk]  # handed to the queue once its row was committed
    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress class="job-progress" max="2" value="0"' in page
    assert "Step 1 of 2" in page

    runner.run(job.pk)  # what the worker does
    job.refresh_from_db()
    assert (job.status, job.done_steps) == (Status.DONE, 2)
    done = client.get(f"/jobs/{job.pk}/")
    assert done.status_code == 302 and done["Location"] == reverse("cohort_report")
    report = client.get(reverse("cohort_report"))
    assert report.status_code == 200 and "<svg" in report.content.decode()
    assert Job.objects.count() == 1  # the stored report was used, no new job


def test_people_opening_the_report_at_once_share_one_job(org_a, cohort, login, queued):
    first, second = login(org_a, "analyst"), login(org_a, "interviewer")
    first.get(reverse("cohort_report"))
    second.get(reverse("cohort_report"))
    assert Job.objects.count() == 1


def test_a_change_of_the_data_makes_the_next_view_prepare_it_again(
    org_a, cohort, login, queued
):
    client = login(org_a, "analyst")
    client.get(reverse("cohort_report"))
    runner.run(Job.objects.get().pk)
    assert client.get(reverse("cohort_report")).status_code == 200
    assess(cohort[0], (9, 9, 9, 9))
    assert client.get(reverse("cohort_report")).status_code == 302
    assert Job.objects.filter(status=Status.QUEUED).count() == 1


def test_a_job_that_fails_says_why_and_can_be_tried_again(
    org_a, cohort, login, queued, monkeypatch
):
    def broken(job: Job, progress: runner.Progress) -> None:
        progress.step(0, "Counting people and computing the figures")
        raise ZeroDivisionError("internal detail that must not be shown")

    monkeypatch.setitem(runner.KINDS, "cohort_report", (2, broken))
    client = login(org_a, "analyst")
    location = client.get(reverse("cohort_report"))["Location"]
    runner.run(Job.objects.get().pk)
    page = client.get(location).content.decode()
    assert "Something went wrong while doing this, and nothing was changed" in page
    assert "internal detail" not in page and "ZeroDivisionError" not in page
    assert f'href="{reverse("cohort_report")}">Try again' in page
    assert "refresh" not in page  # nothing more to wait for


def test_a_plain_job_error_is_shown_as_it_is(org_a, cohort, login, queued, monkeypatch):
    def refused(job: Job, progress: runner.Progress) -> None:
        raise runner.JobError("Nobody is counted in reports yet.")

    monkeypatch.setitem(runner.KINDS, "cohort_report", (2, refused))
    client = login(org_a, "analyst")
    location = client.get(reverse("cohort_report"))["Location"]
    runner.run(Job.objects.get().pk)
    assert "Nobody is counted in reports yet." in client.get(location).content.decode()


def test_a_finished_job_is_not_run_twice(org_a, cohort, queued, monkeypatch):
    calls: list[int] = []
    monkeypatch.setitem(runner.KINDS, "cohort_report",
                        (2, lambda job, progress: calls.append(job.pk)))
    job = runner.start("cohort_report", org_a, None, {"language": "en", "audience": "internal"})
    runner.run(job.pk)
    runner.run(job.pk)  # e.g. the queue delivered it twice
    assert calls == [job.pk]


def test_the_kinds_are_registered():
    assert runner.KINDS["cohort_report"][1] is kinds.cohort_report
