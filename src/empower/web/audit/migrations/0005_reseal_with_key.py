"""Re-seal the existing entries with a key, so that every entry verifies the same way.

Until now an entry's hash was a plain SHA-256 that anyone with write access to the database
could recompute. Each entry is now sealed with HMAC-SHA256 under a key derived from the data
key (see ``empower.web.audit.sealing``), and its links to the account and the organisation are
part of what is sealed.

Before re-sealing, the old chain is checked the old way. Re-sealing must not hide tampering
that happened before: what the old check finds is written, with the old chain head, into a
last entry ``audit.resealed`` that is sealed like any other, and ``empower audit verify``
reports those findings from then on. An empty trail is left as it is.
"""

import hashlib

from django.db import migrations
from django.utils import timezone

from empower.web.audit import sealing
from empower.web.audit.models import GENESIS_HASH, canonical_json, iso_utc

RESEALED = "audit.resealed"
BATCH = 1000
#: The most findings of the old check kept in the marker entry (each a short sentence).
MAX_FINDINGS = 5

OLD_FIELDS = ("action", "actor_username", "detail", "organisation_slug", "prev_hash",
              "sequence", "target_id", "target_type", "user_agent")


def _old_canonical(entry) -> str:
    data = {name: getattr(entry, name) for name in OLD_FIELDS}
    data["at"] = iso_utc(entry.at)
    data["ip"] = entry.ip or None
    return canonical_json(data)


def _new_canonical(entry) -> str:
    data = {name: getattr(entry, name) for name in OLD_FIELDS}
    data.update(
        at=iso_utc(entry.at), ip=entry.ip or None, key_id=entry.key_id,
        actor_id=entry.actor_id, organisation_id=entry.organisation_id,
    )
    return canonical_json(data)


def _old_findings(entries, head) -> list[str]:
    """What the plain-hash check of the old chain finds (the check as it was until now)."""
    findings = []
    expected, previous = 1, GENESIS_HASH
    for entry in entries:
        if entry.sequence != expected:
            findings.append(f"entries missing or out of order before entry {entry.sequence}")
        if entry.prev_hash != previous:
            findings.append(f"entry {entry.sequence} did not link to the entry before it")
        if hashlib.sha256(_old_canonical(entry).encode("utf-8")).hexdigest() != entry.hash:
            findings.append(f"entry {entry.sequence} had been changed after it was written")
        if entry.action == "audit.head_rebuilt":
            findings.append(f"the chain head had been rebuilt before entry {entry.sequence}")
        expected, previous = entry.sequence + 1, entry.hash
    if head is None:
        findings.append("the chain head record was missing")
    elif (head.last_sequence, head.last_hash) != (expected - 1, previous):
        findings.append(
            f"the chain head named entry {head.last_sequence}, the last entry was {expected - 1}"
        )
    return findings


def reseal(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    ChainHead = apps.get_model("audit", "ChainHead")
    entries = list(AuditEntry.objects.order_by("sequence"))
    if not entries:
        return
    head = ChainHead.objects.filter(pk=1).first()
    findings = _old_findings(entries, head)
    old_head = head.last_hash if head is not None else entries[-1].hash
    kid = sealing.current_key_id()
    previous = GENESIS_HASH
    for entry in entries:
        entry.key_id, entry.prev_hash = kid, previous
        entry.hash = sealing.mac(_new_canonical(entry), kid, sealing.CHAIN_INFO)
        previous = entry.hash
    AuditEntry.objects.bulk_update(entries, ["key_id", "prev_hash", "hash"], batch_size=BATCH)
    marker = AuditEntry(
        sequence=entries[-1].sequence + 1, at=timezone.now(), action=RESEALED,
        actor_username="", organisation_slug="", target_type="", target_id="",
        ip=None, user_agent="", key_id=kid, prev_hash=previous,
        detail={
            "entries": len(entries),
            "old_head_sequence": head.last_sequence if head is not None else 0,
            "old_head_hash": old_head,
            "old_problems": len(findings),
            "old_findings": [f[:200] for f in findings[:MAX_FINDINGS]],
        },
    )
    marker.hash = sealing.mac(_new_canonical(marker), kid, sealing.CHAIN_INFO)
    marker.save(force_insert=True)
    ChainHead.objects.update_or_create(
        pk=1, defaults={"last_sequence": marker.sequence, "last_hash": marker.hash},
    )


def unseal(apps, schema_editor):
    """Back to plain SHA-256 hashes (for a downgrade): the chain is rebuilt as it stands."""
    AuditEntry = apps.get_model("audit", "AuditEntry")
    ChainHead = apps.get_model("audit", "ChainHead")
    entries = list(AuditEntry.objects.order_by("sequence"))
    previous = GENESIS_HASH
    for entry in entries:
        entry.prev_hash = previous
        entry.hash = hashlib.sha256(_old_canonical(entry).encode("utf-8")).hexdigest()
        previous = entry.hash
    AuditEntry.objects.bulk_update(entries, ["prev_hash", "hash"], batch_size=BATCH)
    if entries:
        ChainHead.objects.update_or_create(
            pk=1, defaults={"last_sequence": entries[-1].sequence, "last_hash": previous},
        )


class Migration(migrations.Migration):

    dependencies = [("audit", "0004_sealed_links")]

    operations = [migrations.RunPython(reseal, unseal)]
