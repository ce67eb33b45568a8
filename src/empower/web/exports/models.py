"""The release ledger: every set of figures that left the organisation's own staff.

A report or a file of totals for viewers, a partner or the public can be compared with an
earlier one; the difference between them is a figure about the few people who joined, left or
changed in between (``docs/disclosure-control.md`` §7). Each release records, per cell of
every table it published, *who* it counted and a token of what they contributed, so that a
later release can be checked against it (``ledger``). Who was counted is sensitive (it says
who had consent and data at the time), so it is stored encrypted, and people and values are
keyed hashes, not ids or scores.
"""

from __future__ import annotations

from django.db import models

from empower.web.accounts.models import Organisation
from empower.web.fields import EncryptedJSONField, EncryptedTextField


class Release(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    #: what was released: "cohort_report", or "aggregates:<purpose>" for a file of totals
    product = models.CharField(max_length=60)
    #: who it was for: viewer, external or public (internal reports are not releases)
    audience = models.CharField(max_length=20)
    threshold = models.PositiveSmallIntegerField()
    #: a digest of ``contributions``: the same figures released again make no new entry
    fingerprint = models.CharField(max_length=64)
    #: table → cell → person → token, as compressed JSON (see ``ledger``)
    contributions = EncryptedTextField()
    #: tables this release left out because too few people changed in them
    withheld = models.JSONField(default=list)
    #: the published figures, to show again while a newer release is held back: the report
    #: per language, or the table of totals
    figures = EncryptedJSONField(default=dict)
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "made_at"])]

    def __str__(self) -> str:
        return f"{self.product} for {self.audience}, {self.made_at:%Y-%m-%d}"
