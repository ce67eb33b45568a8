"""The version of each organisation's data, and results computed from one version.

Every change that can move a report — an assessment, a consent decision or its withdrawal, a
change to a participant, an erasure, the organisation's disclosure settings — raises the
organisation's version in the same transaction (``signals``). A cached result is stored under
the version that was read *before* its data, so a result can only ever be served while the data
it was computed from are still current: a withdrawal is never answered from a stale report.
"""

from __future__ import annotations

from django.db import models

from empower.web.accounts.models import Organisation
from empower.web.fields import EncryptedTextField


class DataVersion(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=1)


class CachedResult(models.Model):
    """One computed result (a report as JSON, a rendered chart) for one data version.

    The payload is encrypted like identifying data: a cached participant chart or an internal
    report with small groups is no less sensitive than the rows it came from."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    #: what else the result depends on: audience, language, participant, instrument …
    key = models.CharField(max_length=200)
    version = models.PositiveBigIntegerField()
    payload = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name", "key"],
                                    name="one_cached_result_per_key"),
        ]
