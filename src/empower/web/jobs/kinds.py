"""What a background job can do. Each kind reports its steps, in the person's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import Job
from .runner import Progress, kind


@kind("cohort_report", steps=2)
def cohort_report(job: Job, progress: Progress) -> None:
    """Compute and draw the cohort report for one language and audience; the page then reads
    it from the stored results."""
    from empower.web.assessments.cohort import cohort_report, cohort_report_html

    organisation, language = job.organisation, job.params["language"]
    audience = job.params["audience"]
    progress.step(0, _("Counting people and computing the figures"))
    cohort_report(organisation, language, audience)
    progress.step(1, _("Drawing the charts"))
    cohort_report_html(organisation, language, audience)
