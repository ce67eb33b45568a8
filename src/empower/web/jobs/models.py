"""Work that takes longer than a page should wait: a background job and how far it has got.

A job belongs to one organisation and is started by one person; its page shows its progress to
people of that organisation only. What it works on (``params``) and what it says when it fails
(``message``) may name people's data, so both are encrypted like identifying fields.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from empower.web.accounts.models import Organisation
from empower.web.fields import EncryptedJSONField, EncryptedTextField


class Status(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class Job(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="jobs")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    #: what the job does: a name in ``kinds.KINDS``
    kind = models.CharField(max_length=40)
    params = EncryptedJSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    #: steps done of steps in all, and the current step's name, for the progress bar
    done_steps = models.PositiveSmallIntegerField(default=0)
    total_steps = models.PositiveSmallIntegerField(default=1)
    step = models.CharField(max_length=120, blank=True)
    #: why it failed, in plain words
    message = EncryptedTextField(blank=True)
    #: where the person goes when it is done (the finished page or file)
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "kind", "status"])]

    @property
    def finished(self) -> bool:
        return self.status in (Status.DONE, Status.FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.done_steps / max(self.total_steps, 1))
