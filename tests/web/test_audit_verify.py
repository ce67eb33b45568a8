"""The audit trail is append-only, sealed and chained; verification finds every kind of tampering.

Tampering goes around the ORM with raw SQL, as an attacker with database access would. The
append-only triggers are switched off (PostgreSQL) or dropped (SQLite) for that one statement.
More cases, those that need the key to be caught, are in test_audit_tampering.py.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import threading
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory

from empower.web import crypto
from empower.web.accounts.models import Organisation
from empower.web.audit.log import Action, record, verify_chain
from empower.web.audit.models import AppendOnlyError, AuditEntry, ChainHead

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database triggers exist on PostgreSQL only"
)


def tamper(sql: str, params: list | None = None) -> None:
    """Run raw SQL on the audit tables as an attacker would, past any trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _set_triggers(cursor, "DISABLE")
            cursor.execute(sql, params or [])
            _set_triggers(cursor, "ENABLE")
            return
        # SQLite cannot switch a trigger off: drop the audit tables' triggers and put them back.
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('audit_auditentry', 'audit_chainhead')"
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute(sql, params or [])
        for _name, trigger_sql in triggers:
            cursor.execute(trigger_sql)


def _set_triggers(cursor, state: str) -> None:
    # ALTER TABLE waits for no deferred foreign-key checks: run them now, then defer again.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"ALTER TABLE audit_auditentry {state} TRIGGER USER")
    cursor.execute(f"ALTER TABLE audit_chainhead {state} TRIGGER USER")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def chain(org_a, make_member):
    """Five entries of different kinds."""
    admin = make_member(org_a, "admin")
    entries = [
        record(Action.LOGIN_SUCCESS, actor=admin),
        record(Action.VIEW_IDENTIFYING, actor=admin, target_type="participant",
               target_id="P-ABC234"),
        record(Action.EXPORT, actor=admin, detail={"format": "csv", "rows": 12}),
        record(Action.CONSENT_WITHDRAWN, actor=admin, target_type="participant",
               target_id="P-ABC234", detail={"purpose": "research"}),
        record(Action.LOGOUT, actor=admin),
    ]
    return entries


def test_an_untouched_chain_verifies(chain):
    result = verify_chain()
    assert result.ok, result.problems
    assert result.checked == 5
    assert [e.sequence for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    assert (result.head_sequence, result.head_hash) == (5, chain[-1].hash)


def test_an_empty_trail_verifies(db):
    result = verify_chain()
    assert result.ok and result.checked == 0


def test_an_edited_detail_is_found_and_named_by_its_number(chain):
    tamper("UPDATE audit_auditentry SET detail = %s WHERE sequence = 3",
           ['{"format": "csv", "rows": 1}'])
    result = verify_chain()
    assert not result.ok
    assert result.problems == ["Entry 3 was changed after it was written."]


def test_an_edited_entry_with_a_recomputed_seal_breaks_the_next_link(chain):
    entry = AuditEntry.objects.get(sequence=2)
    entry.target_id = "P-ZZZZZZ"
    forged = entry.compute_hash()
    tamper("UPDATE audit_auditentry SET target_id = %s, hash = %s WHERE sequence = 2",
           ["P-ZZZZZZ", forged])
    result = verify_chain()
    assert not result.ok
    assert any(p.startswith("Entry 3 does not link") for p in result.problems)


def test_a_deleted_middle_entry_is_found(chain):
    tamper("DELETE FROM audit_auditentry WHERE sequence = 3")
    result = verify_chain()
    assert not result.ok
    assert result.checked == 4
    assert "Entries missing before entry 4: 3." in result.problems
    assert any(p.startswith("Entry 4 does not link") for p in result.problems)


def test_deleted_newest_entries_are_found_through_the_chain_head(chain):
    tamper("DELETE FROM audit_auditentry WHERE sequence >= 4")
    result = verify_chain()
    assert not result.ok
    assert result.problems == [
        "The newest entries were deleted: the chain head is entry 5 but the last entry is 3."
    ]


def test_a_deleted_chain_head_is_found(chain):
    tamper("DELETE FROM audit_chainhead")
    result = verify_chain()
    assert result.problems == ["The chain head record is missing."]


def test_a_deleted_chain_head_stays_reported_after_new_entries(chain):
    tamper("DELETE FROM audit_chainhead")
    tamper("DELETE FROM audit_auditentry WHERE sequence = 5")
    entry = record(Action.LOGIN_SUCCESS)
    assert entry.sequence == 6  # a marker entry 5 comes first
    result = verify_chain()
    assert result.problems == [
        "The chain head was missing before entry 5 and was rebuilt; "
        "the newest entries before it may have been deleted."
    ]
    assert (result.head_sequence, result.checked) == (6, 6)


def test_a_replaced_last_entry_is_found_through_the_chain_head(chain):
    last = AuditEntry.objects.get(sequence=5)
    last.action = Action.LOGIN_SUCCESS
    tamper("UPDATE audit_auditentry SET action = %s, hash = %s WHERE sequence = 5",
           [last.action, last.compute_hash()])
    result = verify_chain()
    assert result.problems == ["The last entry (5) is not the one the chain head recorded."]


def test_the_orm_refuses_to_change_or_delete_entries(chain):
    entry = AuditEntry.objects.get(sequence=2)
    entry.target_id = "P-ZZZZZZ"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(sequence=2).update(target_id="P-ZZZZZZ")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["target_id"])
    # Adding around record() would break the chain, so it is refused too.
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.create(sequence=6, at=datetime.now(UTC), action="export",
                                  prev_hash="0" * 64, hash="f" * 64)
    assert AuditEntry.objects.get(sequence=2).target_id == "P-ABC234"
    assert AuditEntry.objects.count() == 5
    assert verify_chain().ok


@on_postgres
@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditentry SET detail = '{}' WHERE sequence = 3",
    "UPDATE audit_auditentry SET actor_id = NULL, actor_username = '' WHERE sequence = 3",
    "UPDATE audit_auditentry SET actor_id = NULL WHERE sequence = 3",
    "UPDATE audit_auditentry SET organisation_id = NULL",
    "DELETE FROM audit_auditentry WHERE sequence = 5",
    "UPDATE audit_chainhead SET last_sequence = 4",
    "DELETE FROM audit_chainhead",
    "TRUNCATE audit_auditentry",
    "TRUNCATE audit_chainhead",
    "TRUNCATE audit_auditentry, audit_chainhead",
])
def test_the_database_refuses_changes_on_postgresql(chain, sql):
    with pytest.raises(DatabaseError, match="audit"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.count() == 5
    assert verify_chain().ok


def test_an_account_or_organisation_in_the_trail_cannot_be_deleted(chain, org_a):
    # Their ids are sealed into the entries, so the links may never change; deactivate instead.
    user = get_user_model().objects.get(username="org-a-admin")
    with pytest.raises(ProtectedError):
        user.delete()
    with pytest.raises(ProtectedError):
        org_a.delete()
    entries = AuditEntry.objects.order_by("sequence")
    assert [e.actor_id for e in entries] == [user.pk] * 5
    assert [e.organisation_id for e in entries] == [org_a.pk] * 5
    assert verify_chain().ok


def test_a_rolled_back_transaction_takes_its_entry_with_it(chain):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Action.EXPORT, detail={"rows": 1})
        raise RuntimeError("the export failed")
    assert AuditEntry.objects.count() == 5
    assert ChainHead.objects.get().last_sequence == 5
    entry = record(Action.EXPORT, detail={"rows": 1})
    assert entry.sequence == 6
    assert verify_chain().ok


# The canonical form written out by hand (see the AuditEntry docstring), sealed with the data
# key of 32 bytes 0x0b. Worked out separately with OpenSSL 3.0:
#   key id:   printf '\x0b%.0s' $(seq 32) | sha256sum                       → f0e38b83…
#   seal key: openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:0b0b…0b
#               -kdfopt info:"empower audit chain v2" HKDF                  → 76a10c04…
#   seal:     printf '%s' '<literal>' | openssl dgst -sha256 -mac HMAC -macopt hexkey:76a10c04…
SEAL_TEST_KEY = base64.urlsafe_b64encode(b"\x0b" * 32).decode().rstrip("=")
FIRST_ENTRY_CANONICAL = (
    r'{"action":"export","actor_id":7001,"actor_username":"sealed-admin",'
    r'"at":"2026-11-23T13:07:05.000042Z","detail":{"format":"csv","rows":3},'
    r'"ip":"192.0.2.7","key_id":"f0e38b83","organisation_id":7002,'
    r'"organisation_slug":"sealed-org",'
    r'"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    r'"sequence":1,"target_id":"P-ABC234","target_type":"participant",'
    r'"user_agent":"Mozilla/5.0 (Linux; Android 10; \u09ad\u09be\u09b7\u09be)"}'
)
FIRST_ENTRY_SEAL = "3a44845963defd809d0ca913f821c51cb3c9193298f78864614355d389bde195"


@pytest.fixture
def seal_test_key(monkeypatch):
    monkeypatch.setenv("EMPOWER_DATA_KEY", SEAL_TEST_KEY)
    crypto.reset_key_ring()
    yield
    crypto.reset_key_ring()


def test_the_first_seal_is_hmac_sha256_of_the_documented_canonical_json(
    db, seal_test_key, monkeypatch
):
    organisation = Organisation.objects.create(id=7002, slug="sealed-org", name="Sealed")
    admin = get_user_model().objects.create_user(id=7001, username="sealed-admin")
    moment = datetime(2026, 11, 23, 13, 7, 5, 42, tzinfo=UTC)
    monkeypatch.setattr("empower.web.audit.log.timezone.now", lambda: moment)
    request = RequestFactory().get(
        "/", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 10; ভাষা)"
    )
    entry = record(Action.EXPORT, request=request, actor=admin, organisation=organisation,
                   target_type="participant", target_id="P-ABC234",
                   detail={"rows": 3, "format": "csv"})
    assert entry.key_id == "f0e38b83"
    assert entry.canonical() == FIRST_ENTRY_CANONICAL
    assert entry.hash == FIRST_ENTRY_SEAL
    # The same seal comes back from what the database stored.
    assert AuditEntry.objects.get(pk=entry.pk).compute_hash() == FIRST_ENTRY_SEAL
    # A plain SHA-256, which anyone could recompute, is not what is stored.
    assert hashlib.sha256(FIRST_ENTRY_CANONICAL.encode("ascii")).hexdigest() != entry.hash
    second = record(Action.LOGOUT, actor=admin)
    assert second.prev_hash == FIRST_ENTRY_SEAL
    assert verify_chain().ok


def test_ipv6_addresses_are_stored_in_one_spelling(db):
    for address in ("2001:DB8:0:0:0:0:0:1", "::ffff:192.0.2.7", "fe80::1"):
        request = RequestFactory().get("/", REMOTE_ADDR=address)
        record(Action.LOGIN_FAILURE, request=request, detail={"username": "x"})
    stored = list(AuditEntry.objects.order_by("sequence").values_list("ip", flat=True))
    assert stored == ["2001:db8::1", "::ffff:192.0.2.7", "fe80::1"]
    assert verify_chain().ok


def test_detail_must_stay_small(db):
    with pytest.raises(ValueError):
        record(Action.EXPORT, detail={"note": "x" * 201})
    with pytest.raises(ValueError):
        record(Action.EXPORT, detail={f"k{i}": "y" * 50 for i in range(60)})
    with pytest.raises(TypeError):
        record(Action.EXPORT, detail={"share": 0.5})
    assert not AuditEntry.objects.exists()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_share_a_previous_entry():
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                record(Action.DOWNLOAD, detail={"writer": n, "i": i})
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, 91))
    result = verify_chain()
    assert result.ok, result.problems


# --- the command ---------------------------------------------------------------------------


def test_verify_command_reports_an_intact_trail(chain):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().strip() == f"Audit trail intact: 5 entries, head {chain[-1].hash}"


def test_verify_command_fails_and_lists_problems(chain):
    tamper("UPDATE audit_auditentry SET target_id = 'P-ZZZZZZ' WHERE sequence = 2")
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", stderr=err)
    assert raised.value.returncode == 1
    assert "Entry 2 was changed after it was written." in err.getvalue()


def test_head_command_prints_number_and_hash(chain):
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    assert out.getvalue().strip() == f"5 {chain[-1].hash}"


def test_the_empower_command_exits_0_then_1_after_tampering(chain, monkeypatch, capsys):
    from empower.cli import main

    # The command closes database connections when it ends; keep the test's transaction open.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    main(["audit", "verify"])  # returns normally: exit status 0
    assert "Audit trail intact: 5 entries" in capsys.readouterr().out
    tamper("DELETE FROM audit_auditentry WHERE sequence = 5")
    with pytest.raises(SystemExit) as raised:
        main(["audit", "verify"])
    assert raised.value.code == 1
    assert "newest entries were deleted" in capsys.readouterr().err
