"""Compute a result once per version of an organisation's data, then serve it from storage.

    report = cached(organisation, "cohort_report", (audience, language), compute)

``compute`` runs only when no result is stored for the organisation's current data version
(see ``models``). The key always includes today's date, because consent can lapse on a date
without anything being written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from empower.web.accounts.models import Organisation
from empower.web.crypto import EncryptionKeyError

from .models import CachedResult, DataVersion

T = TypeVar("T")


def current_version(organisation: Organisation) -> int:
    """The organisation's data version; its row is made the first time something is cached,
    so every stored result has a row that later changes raise."""
    row, _ = DataVersion.objects.get_or_create(organisation=organisation)
    return row.version


def bump(organisation_id: int | None) -> None:
    """Mark everything cached for this organisation as out of date (inside the caller's
    transaction, so the new version becomes visible exactly when the change does). With no
    row yet nothing was ever cached, so there is nothing to mark."""
    if organisation_id is not None:
        DataVersion.objects.filter(organisation_id=organisation_id).update(
            version=F("version") + 1
        )


def _key(parts: Sequence[Any]) -> str:
    return "|".join([*(str(p) for p in parts), timezone.now().date().isoformat()])


def stored(
    organisation: Organisation, name: str, parts: Sequence[Any],
    decode: Callable[[str], T] = json.loads,
) -> T | None:
    """The stored result for the organisation's current data, or None if there is none yet
    (nothing is computed: pages use it to decide whether to wait for a background job)."""
    try:
        row = CachedResult.objects.filter(
            organisation=organisation, name=name, key=_key(parts),
            version=current_version(organisation),
        ).first()
    except EncryptionKeyError:
        return None
    return None if row is None else decode(row.payload)


def cached(
    organisation: Organisation,
    name: str,
    parts: Sequence[Any],
    compute: Callable[[], T],
    *,
    encode: Callable[[T], str] = lambda value: json.dumps(value, cls=DjangoJSONEncoder),
    decode: Callable[[str], T] = json.loads,
    versioned: bool = True,
) -> T:
    """The stored result of ``compute`` for this organisation, ``name`` and ``parts``, computed
    now if the data changed since it was stored.

    ``versioned=False`` is for results whose ``parts`` already name everything they are drawn
    from (e.g. a digest of the very numbers a chart shows): they stay valid whatever else in
    the organisation changes, until the day ends or an erasure forgets them."""
    # The version is read before any of the data, so a change committed while computing
    # leaves the result under an older version, where it is never read again.
    version = current_version(organisation) if versioned else 0
    key = _key(parts)
    try:
        row = CachedResult.objects.filter(
            organisation=organisation, name=name, key=key, version=version
        ).first()
    except EncryptionKeyError:
        row = None  # written under a data key that has since been retired
    if row is not None:
        return decode(row.payload)
    value = compute()
    try:
        # Replaced rather than updated: reading the old row back would decrypt it, and it may
        # be the very row that could not be read.
        with transaction.atomic():
            CachedResult.objects.filter(
                organisation=organisation, name=name, key=key
            ).only("pk").delete()
            # Results of older data or of earlier days are never read again: drop them.
            CachedResult.objects.filter(organisation=organisation, name=name).exclude(
                version=version, key__endswith=key.rsplit("|", 1)[1]
            ).only("pk").delete()
            CachedResult.objects.create(organisation=organisation, name=name, key=key,
                                        version=version, payload=encode(value))
    except IntegrityError:
        pass  # another request stored the same result first
    return value


def forget(organisation: Organisation) -> int:
    """Delete every stored result of ``organisation`` (e.g. after an erasure, so that nothing
    computed from the erased person's data stays on disk). Returns how many were deleted."""
    deleted, _ = CachedResult.objects.filter(organisation=organisation).only("pk").delete()
    return deleted
