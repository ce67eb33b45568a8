"""The audit trail: an append-only, sealed and chained record of who did what, when, from where.

Entries are written only through :func:`empower.web.audit.log.record`, which takes a lock,
numbers the entry after the chain head, links it to the previous entry's seal and seals it
with a key derived from the data-encryption key (``sealing``). Nothing in
an entry may identify a survivor: targets are participant codes or ids, never names or text a
user typed, so erasing a person leaves only a pseudonymous tombstone here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from empower.web.accounts.models import Organisation

from . import sealing

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64

#: The fields covered by an entry's hash, in the order they appear in the canonical JSON.
HASHED_FIELDS = (
    "action",
    "actor_id",
    "actor_username",
    "at",
    "detail",
    "ip",
    "key_id",
    "organisation_id",
    "organisation_slug",
    "prev_hash",
    "sequence",
    "target_id",
    "target_type",
    "user_agent",
)


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or remove an audit entry through the ORM."""


def iso_utc(moment: datetime) -> str:
    """``2026-11-23T13:07:05.000042Z``: UTC, always six digits of microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(data: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, non-ASCII characters escaped as ``\\uXXXX``."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit entries cannot be deleted.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEntry]:
        raise AppendOnlyError("Audit entries are added one at a time with audit.log.record().")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit entries cannot be changed.")

    def for_organisation(self, organisation: Organisation) -> AuditEntryQuerySet:
        return self.filter(organisation=organisation)


class AuditEntry(models.Model):
    """One event in the audit trail.

    **Seal and chain.** ``hash`` is the HMAC-SHA256 (lower-case hex) of the UTF-8 bytes of the
    entry's canonical JSON, keyed with ``HKDF-SHA256(data key, salt=none, info="empower audit
    chain v2", 32 bytes)``, where the data key is the one whose id is ``key_id`` (see
    ``sealing``). ``prev_hash`` is the ``hash`` of the entry with the previous ``sequence`` (64
    zeros for entry 1). The canonical JSON is one object with exactly the keys in
    ``HASHED_FIELDS``, serialised with sorted keys, no whitespace (separators ``,`` and ``:``)
    and non-ASCII characters escaped (``json.dumps(..., sort_keys=True, separators=(",", ":"),
    ensure_ascii=True)``). Values:

    * ``sequence`` – integer; ``at`` – string, ISO 8601 in UTC with microseconds and a ``Z``
      (``2026-11-23T13:07:05.000042Z``);
    * ``actor_id``, ``organisation_id`` – the linked account's and organisation's id (integer),
      or ``null`` when there is none;
    * ``ip`` – string (IPv6 compressed and lower case), or ``null`` when unknown;
    * ``detail`` – the JSON object as stored (its keys sorted too);
    * every other key – the stored string (empty string when blank).

    For example, entry 1::

        {"action":"login.failure","actor_id":null,"actor_username":"",
         "at":"2026-11-23T13:07:05.000042Z","detail":{"username":"mona"},"ip":"192.0.2.7",
         "key_id":"1a2b3c4d","organisation_id":null,"organisation_slug":"",
         "prev_hash":"000…000","sequence":1,"target_id":"17","target_type":"user",
         "user_agent":"Mozilla/5.0"}

    (on one line). Only the surrogate ``id`` is outside the seal. The links ``actor`` and
    ``organisation`` are inside it, so they can never change: an account or organisation that
    appears in the trail cannot be deleted (``PROTECT``); deactivate it instead.
    """

    sequence = models.PositiveBigIntegerField(_("number"), unique=True)
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("who"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation_slug = models.CharField(max_length=60, blank=True)
    action = models.CharField(_("what"), max_length=50, db_index=True)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=100, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    # Text, not the database's address type, so it reads back exactly as it was hashed.
    ip = models.CharField(_("from where"), max_length=45, null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    #: id of the data key the entry's seal key was derived from (``crypto.key_id``)
    key_id = models.CharField(max_length=8)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    @property
    def action_label(self) -> str:
        from .log import action_label

        return action_label(self.action)

    @property
    def target_label(self) -> str:
        from .log import target_label

        return target_label(self.target_type)

    def detail_lines(self) -> list[tuple[str, str]]:
        """``detail`` as (key, text) pairs for display; lists joined with commas."""
        lines = []
        for key, value in sorted(self.detail.items()):
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value) or "–"
            elif isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "–"
            lines.append((key, str(value)))
        return lines

    def canonical(self) -> str:
        data: dict[str, Any] = {name: getattr(self, name) for name in HASHED_FIELDS}
        data["at"] = iso_utc(self.at)
        data["ip"] = self.ip or None
        return canonical_json(data)

    def compute_hash(self) -> str | None:
        """The seal this entry should carry; None when its key is not in the key ring."""
        return sealing.mac(self.canonical(), self.key_id, sealing.CHAIN_INFO)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        if not getattr(self, "_chained", False):
            # Only record() knows the chain head; an entry saved any other way would break it.
            raise AppendOnlyError("Add audit entries with empower.web.audit.log.record().")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit entries cannot be deleted.")


class ChainHead(models.Model):
    """The newest entry's sequence and hash, updated in the same transaction as each append.

    The chain alone cannot show that its newest entries were removed; comparing it with this
    single row can. Its primary key is always 1.
    """

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.last_sequence} {self.last_hash}"
