"""Upgrading: entries written with plain SHA-256 hashes are re-sealed with the key.

The database is taken back to the migration before sealing, a trail is written there the old
way (raw SQL, with the hash the old code wrote), and migrated forward again.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from empower.web import crypto
from empower.web.accounts.models import Organisation
from empower.web.audit import guards
from empower.web.audit.log import verify_chain
from empower.web.audit.models import AuditEntry, ChainHead

BEFORE_SEALING = ("audit", "0003_ip_as_text")
MOMENT = datetime(2026, 11, 23, 13, 7, 5, 42, tzinfo=UTC)
USER_AGENT = "Mozilla/5.0 (Linux; Android 10; ভাষা)"
# The entry of the old test of the plain hash; its SHA-256 was computed then with
# `printf '%s' '<canonical JSON>' | sha256sum`.
LEGACY_SHA256 = "e6a78f51d26cd70385ac55a6263d38ca2e4751b878504777369d064b0f5f765c"
# The same entry in the sealed form, with the links 7001 and 7002 and the data key of 32
# bytes 0x0b (key id f0e38b83), sealed with OpenSSL 3.0 as in test_audit_verify.py:
#   printf '%s' '{"action":"export","actor_id":7001,"actor_username":"org-a-admin",…}'
#     | openssl dgst -sha256 -mac HMAC -macopt hexkey:76a10c04…
RESEALED = "9541721bb27dcf50121cb28f2e205d64b3d3e7557ea2a17af8ed4bcd3e3bdff5"
SEAL_TEST_KEY = base64.urlsafe_b64encode(b"\x0b" * 32).decode().rstrip("=")


def migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def insert_legacy(sequence: int, prev_hash: str, hash_: str, actor, organisation) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (sequence, at, actor_id, actor_username, "
            "organisation_id, organisation_slug, action, target_type, target_id, detail, ip, "
            "user_agent, prev_hash, hash) VALUES (%s, %s, %s, 'org-a-admin', %s, 'org-a', "
            "'export', 'participant', 'P-ABC234', %s, '192.0.2.7', %s, %s, %s)",
            [sequence, connection.ops.adapt_datetimefield_value(MOMENT), actor.pk,
             organisation.pk, json.dumps({"format": "csv", "rows": 3}), USER_AGENT,
             prev_hash, hash_],
        )


def set_head(sequence: int, hash_: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_chainhead (id, last_sequence, last_hash, updated_at) "
            "VALUES (1, %s, %s, %s)",
            [sequence, hash_, connection.ops.adapt_datetimefield_value(MOMENT)],
        )


@pytest.fixture
def old_schema(transactional_db, monkeypatch):
    monkeypatch.setenv("EMPOWER_DATA_KEY", SEAL_TEST_KEY)
    crypto.reset_key_ring()
    actor = get_user_model().objects.create_user(id=7001, username="org-a-admin")
    organisation = Organisation.objects.create(id=7002, slug="org-a", name="A")
    migrate([BEFORE_SEALING])
    try:
        yield actor, organisation
    finally:
        migrate(latest())
        crypto.reset_key_ring()


def test_an_intact_old_trail_is_resealed_and_verifies(old_schema):
    actor, organisation = old_schema
    insert_legacy(1, "0" * 64, LEGACY_SHA256, actor, organisation)
    set_head(1, LEGACY_SHA256)
    migrate(latest())

    first, marker = AuditEntry.objects.order_by("sequence")
    assert (first.key_id, first.hash) == ("f0e38b83", RESEALED)
    assert (first.actor_id, first.organisation_id) == (7001, 7002)
    assert marker.sequence == 2 and marker.action == "audit.resealed"
    assert marker.prev_hash == RESEALED
    assert marker.detail == {
        "entries": 1, "old_head_sequence": 1, "old_head_hash": LEGACY_SHA256,
        "old_problems": 0, "old_findings": [],
    }
    head = ChainHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (2, marker.hash)
    result = verify_chain()
    assert result.ok, result.problems
    assert guards.missing(connection) == []


def test_tampering_before_the_upgrade_stays_reported(old_schema):
    actor, organisation = old_schema
    # The first entry's hash does not match its contents: it was edited under the old scheme.
    insert_legacy(1, "0" * 64, "f" * 64, actor, organisation)
    set_head(1, "f" * 64)
    migrate(latest())

    result = verify_chain()
    assert result.problems == [
        "Before entry 2 sealed the trail with a key, the check of the time found 1 problem(s): "
        "entry 1 had been changed after it was written."
    ]


def test_an_empty_trail_gets_no_marker(old_schema):
    migrate(latest())
    assert not AuditEntry.objects.exists()
