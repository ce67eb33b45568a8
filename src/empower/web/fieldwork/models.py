"""Imports of interviews collected offline (KoboToolbox, ODK Collect).

``ImportedSubmission`` remembers which submission became which assessment, and
``ImportedSubmissionId`` every id it carried, so importing the same download twice adds
nothing. ``PendingImport`` keeps an uploaded file and the result of its dry run until the
import: both hold survivors' answers, so they are encrypted at rest, visible only to the person
who uploaded the file, and deleted after the import or after a day.
"""

from __future__ import annotations

import base64
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from empower.web.accounts.models import Organisation
from empower.web.assessments.models import Assessment
from empower.web.fields import EncryptedJSONField, EncryptedTextField

#: How long an uploaded file waits for its import before it is deleted.
PENDING_LIFETIME = timedelta(days=1)


class Source(models.TextChoices):
    KOBO = "kobo", _("KoboToolbox")
    ODK = "odk", _("ODK Central")


class ImportedSubmission(models.Model):
    """One submission from a data-collection tool, and the assessment it became."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    #: the tool's id of the submission (Kobo ``_uuid``, ODK ``instanceID``) without "uuid:"
    submission_id = models.CharField(max_length=100)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="imported_from"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["imported_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "submission_id"], name="one_import_per_submission"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.submission_id}"


class ImportedSubmissionId(models.Model):
    """One id an imported submission carried: the first one, the one of the version imported,
    the one that version replaced. A later download is recognised by whichever of them it
    holds: KoboToolbox's CSV and XLSX exports may lack ``meta/rootUuid`` and give only the
    current ``_uuid`` of a submission that was edited before it was imported."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    imported = models.ForeignKey(ImportedSubmission, on_delete=models.CASCADE,
                                 related_name="known_ids")
    #: without "uuid:", like ``ImportedSubmission.submission_id``
    value = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "value"],
                                    name="one_submission_per_id")
        ]

    def __str__(self) -> str:
        return self.value


class PendingImportQuerySet(models.QuerySet["PendingImport"]):
    def current(self) -> PendingImportQuerySet:
        return self.filter(created_at__gte=timezone.now() - PENDING_LIFETIME)

    def expired(self) -> PendingImportQuerySet:
        return self.filter(created_at__lt=timezone.now() - PENDING_LIFETIME)


class PendingImport(models.Model):
    """An uploaded file waiting between its dry run and its import."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_imports"
    )
    #: "" when the source is to be worked out from the file
    source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    #: id@version for submissions that do not say which instrument they used
    instrument = models.CharField(max_length=120, blank=True)
    filename = models.CharField(max_length=200)
    #: the file's bytes, base64, encrypted: it holds survivors' answers and own words
    content = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: the dry run's result as shown on the page (``results.to_json``), encrypted: it names
    #: participants and quotes cells; {} until the file has been checked
    result = EncryptedJSONField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"pending import {self.pk}"

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.content or "")

    @data.setter
    def data(self, value: bytes) -> None:
        self.content = base64.b64encode(value).decode("ascii")
