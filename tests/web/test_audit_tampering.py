"""Tampering by someone who can write to the database but does not hold the data key.

Each test plays one attack with raw SQL (past the triggers, as the tables' owner could) and
checks that ``verify`` names it. The attacker knows the documented canonical form and can read
every column, key ids included; what they lack is the key. Where they need a seal, they make
one the best way open to them: a plain SHA-256, or an HMAC under a key of their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from empower.web import crypto
from empower.web.audit import checkpoints, guards, sealing
from empower.web.audit.log import Action, record, verify_chain
from empower.web.audit.models import AuditEntry, ChainHead

from . import test_audit_verify as _verify

chain = _verify.chain  # the five-entry fixture
tamper = _verify.tamper

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only"
)
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite triggers"
)

ATTACKER_KEY = b"\x01" * 32


def plain_sha256(entry: AuditEntry) -> str:
    return hashlib.sha256(entry.canonical().encode("utf-8")).hexdigest()


def attacker_hmac(entry: AuditEntry) -> str:
    key = sealing.derive(ATTACKER_KEY, sealing.CHAIN_INFO)
    return hmac.new(key, entry.canonical().encode("utf-8"), hashlib.sha256).hexdigest()


def rewrite_from(sequence: int, seal, **changes) -> None:
    """Change entries from ``sequence`` on, recompute every seal and link with ``seal``, and
    move the chain head to the new last seal: a complete rewrite of the chain's tail."""
    entries = list(AuditEntry.objects.order_by("sequence"))
    previous = entries[sequence - 2].hash if sequence > 1 else "0" * 64
    for entry in entries[sequence - 1:]:
        for name, value in changes.items():
            setattr(entry, name, value)
        entry.prev_hash = previous
        entry.hash = seal(entry)
        previous = entry.hash
        tamper(
            "UPDATE audit_auditentry SET target_id = %s, key_id = %s, prev_hash = %s, "
            "hash = %s WHERE sequence = %s",
            [entry.target_id, entry.key_id, entry.prev_hash, entry.hash, entry.sequence],
        )
    tamper("UPDATE audit_chainhead SET last_hash = %s", [previous])


def append_forged(seal) -> None:
    """Add an entry after the last one, linked and sealed with ``seal``, and move the head."""
    last = AuditEntry.objects.order_by("-sequence").first()
    forged = AuditEntry(
        sequence=last.sequence + 1, at=last.at, action="logout", actor_username="someone",
        organisation_slug="", target_type="", target_id="", detail={}, ip=None, user_agent="",
        key_id=last.key_id, prev_hash=last.hash,
    )
    forged.hash = seal(forged)
    tamper(
        "INSERT INTO audit_auditentry (sequence, at, action, actor_username, organisation_slug, "
        "target_type, target_id, detail, ip, user_agent, key_id, prev_hash, hash) "
        "VALUES (%s, %s, %s, %s, '', '', '', '{}', NULL, '', %s, %s, %s)",
        [forged.sequence, forged.at, forged.action, forged.actor_username, forged.key_id,
         forged.prev_hash, forged.hash],
    )
    tamper("UPDATE audit_chainhead SET last_sequence = %s, last_hash = %s",
           [forged.sequence, forged.hash])


@pytest.fixture
def checkpoint_file(chain, tmp_path) -> Path:
    """A checkpoint of the five-entry chain, written the way an operator would."""
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoint", "--output", str(path), stdout=io.StringIO())
    return path


def verify_with(path: Path):
    return verify_chain(checkpoints.read(path))


# --- rewriting and forging ---------------------------------------------------------------


@pytest.mark.parametrize("seal", [plain_sha256, attacker_hmac], ids=["sha256", "own-key"])
def test_a_tail_rewritten_with_every_seal_and_the_head_recomputed_is_found(chain, seal):
    rewrite_from(3, seal, target_id="P-ZZZZZZ")
    result = verify_chain()
    assert not result.ok
    assert result.problems == [
        "Entry 3 was changed after it was written.",
        "Entry 4 was changed after it was written.",
        "Entry 5 was changed after it was written.",
    ]


def test_a_whole_chain_rewritten_from_the_first_entry_is_found(chain):
    rewrite_from(1, attacker_hmac)
    result = verify_chain()
    assert result.problems == [f"Entry {n} was changed after it was written." for n in range(1, 6)]


@pytest.mark.parametrize("seal", [plain_sha256, attacker_hmac], ids=["sha256", "own-key"])
def test_a_forged_entry_appended_with_the_head_moved_is_found(chain, seal):
    append_forged(seal)
    result = verify_chain()
    assert result.checked == 6
    assert result.problems == ["Entry 6 was changed after it was written."]


def test_a_rewrite_claiming_no_key_is_found(chain):
    # Downgrade: the entries say they carry an old plain hash, which anyone could recompute.
    rewrite_from(4, plain_sha256, key_id="")
    result = verify_chain()
    assert result.problems == [
        "2 entries between 4 and 5 name no key, which is not in the key ring and was never "
        "rotated out: they cannot be checked, and may be forged or come from another "
        "installation."
    ]


def test_a_rewrite_naming_a_key_that_is_not_in_the_ring_is_found(chain):
    own_id = crypto.key_id(ATTACKER_KEY)
    rewrite_from(2, attacker_hmac, key_id=own_id)
    result = verify_chain()
    assert not result.ok
    assert result.problems == [
        f"4 entries between 2 and 5 name key {own_id}, which is not in the key ring and was "
        "never rotated out: they cannot be checked, and may be forged or come from another "
        "installation."
    ]


# --- the links ---------------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditentry SET organisation_id = NULL",
    "UPDATE audit_auditentry SET actor_id = NULL",
])
def test_emptied_links_are_found(chain, sql):
    # Before, one such statement hid every entry from the organisation's audit page while
    # verify said the trail was intact.
    tamper(sql)
    result = verify_chain()
    assert result.problems == [f"Entry {n} was changed after it was written." for n in range(1, 6)]


def test_a_link_moved_to_another_organisation_is_found(chain, org_b):
    tamper("UPDATE audit_auditentry SET organisation_id = %s WHERE sequence = 2", [org_b.pk])
    assert verify_chain().problems == ["Entry 2 was changed after it was written."]


# --- cutting back and emptying, caught by checkpoints ------------------------------------


def test_newest_entries_cut_off_with_the_head_moved_back_are_found_by_a_checkpoint(
    checkpoint_file,
):
    fourth = AuditEntry.objects.get(sequence=4)
    tamper("DELETE FROM audit_auditentry WHERE sequence >= 5")
    tamper("UPDATE audit_chainhead SET last_sequence = 4, last_hash = %s", [fourth.hash])
    assert verify_chain().ok  # without a checkpoint, nothing shows it
    result = verify_with(checkpoint_file)
    [checkpoint] = checkpoints.read(checkpoint_file)
    assert result.problems == [
        f"Entry 5, checkpointed at {checkpoint.at} ({checkpoint_file} line 1), is missing: "
        "the trail was emptied or cut back."
    ]


def test_an_emptied_trail_is_found_by_a_checkpoint(checkpoint_file):
    tamper("DELETE FROM audit_auditentry")
    tamper("DELETE FROM audit_chainhead")
    assert verify_chain().checked == 0  # "intact: 0 entries" without a checkpoint
    result = verify_with(checkpoint_file)
    assert not result.ok
    assert "is missing: the trail was emptied or cut back." in result.problems[0]


@on_postgres
def test_a_truncated_trail_is_found_by_a_checkpoint(checkpoint_file):
    tamper("TRUNCATE audit_auditentry, audit_chainhead")
    assert AuditEntry.objects.count() == 0
    result = verify_with(checkpoint_file)
    assert not result.ok
    assert "is missing: the trail was emptied or cut back." in result.problems[0]


def test_a_rewrite_under_the_checkpoint_is_found_twice(checkpoint_file):
    # Replacing the checkpointed entry with a forged one: the seal and the checkpoint both tell.
    rewrite_from(5, attacker_hmac)
    result = verify_with(checkpoint_file)
    assert "Entry 5 was changed after it was written." in result.problems
    assert any(p.startswith("Entry 5 is not the entry checkpointed at") for p in result.problems)


def test_an_intact_trail_keeps_every_checkpoint(checkpoint_file):
    record(Action.EXPORT, detail={"rows": 2})
    call_command("audit", "checkpoint", "--output", str(checkpoint_file), stdout=io.StringIO())
    record(Action.LOGOUT)
    found = checkpoints.read(checkpoint_file)
    assert [c.sequence for c in found] == [5, 6]
    result = verify_chain(found)
    assert result.ok, result.problems
    assert result.checkpoints == 2


# --- the checkpoint itself ---------------------------------------------------------------


def test_a_checkpoint_is_signed_with_a_key_derived_from_the_data_key(checkpoint_file):
    [line] = checkpoint_file.read_text().splitlines()
    [checkpoint] = checkpoints.read(checkpoint_file)
    head = ChainHead.objects.get()
    assert (checkpoint.sequence, checkpoint.hash) == (5, head.last_hash)
    data_key = crypto.key_ring().primary
    assert checkpoint.key_id == hashlib.sha256(data_key).hexdigest()[:8]
    signed = (
        f'{{"at":"{checkpoint.at}","format":"empower-audit-checkpoint/1",'
        f'"hash":"{head.last_hash}","key_id":"{checkpoint.key_id}","sequence":5}}'
    )
    key = sealing.derive(data_key, b"empower audit checkpoint v1")
    signature = hmac.new(key, signed.encode(), hashlib.sha256).hexdigest()
    assert line == signed[:-1] + f',"signature":"{signature}"}}'
    # The checkpoint key is not the key that seals entries.
    assert key != sealing.derive(data_key, sealing.CHAIN_INFO)


def test_an_edited_checkpoint_is_refused(checkpoint_file, tmp_path):
    # Someone who rewrote the trail would like the checkpoint to match: without the key the
    # signature gives them away.
    forged = checkpoint_file.read_text().replace('"sequence":5', '"sequence":4')
    path = tmp_path / "edited.jsonl"
    path.write_text(forged)
    result = verify_with(path)
    assert any("is not signed with this installation's key" in p for p in result.problems)


def test_a_checkpoint_from_another_key_cannot_be_checked(checkpoint_file, monkeypatch):
    other = base64.urlsafe_b64encode(b"\x02" * 32).decode().rstrip("=")
    monkeypatch.setenv("EMPOWER_DATA_KEY", other)
    crypto.reset_key_ring()
    try:
        result = verify_with(checkpoint_file)
    finally:
        monkeypatch.undo()
        crypto.reset_key_ring()
    assert any("which is not in the key ring: its signature cannot be checked" in p
               for p in result.problems)


def test_checkpoint_prints_to_stdout_without_output(chain):
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    checkpoint = checkpoints.parse_line(out.getvalue().strip(), "stdout")
    assert checkpoint.sequence == 5 and checkpoint.signature_ok() is True


def test_no_checkpoint_of_a_damaged_trail(chain, tmp_path):
    tamper("UPDATE audit_auditentry SET target_id = 'P-ZZZZZZ' WHERE sequence = 2")
    path = tmp_path / "checkpoints.jsonl"
    err = io.StringIO()
    with pytest.raises(CommandError, match="No checkpoint written") as raised:
        call_command("audit", "checkpoint", "--output", str(path), stderr=err)
    assert raised.value.returncode == 1
    assert "Entry 2 was changed after it was written." in err.getvalue()
    assert not path.exists()


def test_verify_command_with_checkpoints(checkpoint_file, tmp_path):
    out = io.StringIO()
    call_command("audit", "verify", "--checkpoints", str(checkpoint_file), stdout=out)
    assert out.getvalue().startswith("Audit trail intact: 5 entries, 1 checkpoint(s) still in it")
    tamper("DELETE FROM audit_auditentry")
    tamper("DELETE FROM audit_chainhead")
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", "--checkpoints", str(checkpoint_file), stderr=err)
    assert raised.value.returncode == 1
    assert "the trail was emptied or cut back" in err.getvalue()


def test_an_unreadable_checkpoint_file_fails_verify(chain, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("5 abc\n")
    with pytest.raises(CommandError, match=r"notes.txt line 1 is not a checkpoint") as raised:
        call_command("audit", "verify", "--checkpoints", str(path), stdout=io.StringIO())
    assert raised.value.returncode == 1


# --- key rotation ------------------------------------------------------------------------


OLD_KEY = base64.urlsafe_b64encode(b"\x07" * 32).decode().rstrip("=")
NEW_KEY = base64.urlsafe_b64encode(b"\x08" * 32).decode().rstrip("=")
OLD_ID = crypto.key_id(b"\x07" * 32)


@pytest.fixture
def rotated(db, monkeypatch):
    """Three entries under the old key, a rotation, two under the new key."""
    monkeypatch.setenv("EMPOWER_DATA_KEY", OLD_KEY)
    crypto.reset_key_ring()
    for n in range(3):
        record(Action.EXPORT, detail={"rows": n})
    monkeypatch.setenv("EMPOWER_DATA_KEY", f"{NEW_KEY},{OLD_KEY}")
    crypto.reset_key_ring()
    record(Action.KEY_ROTATED, detail={"new_key_id": crypto.key_id(b"\x08" * 32),
                                       "old_key_ids": [OLD_ID]})
    record(Action.LOGOUT)
    yield monkeypatch
    crypto.reset_key_ring()


def only_new_key(monkeypatch) -> None:
    monkeypatch.setenv("EMPOWER_DATA_KEY", NEW_KEY)
    crypto.reset_key_ring()


def test_entries_keep_the_key_they_were_sealed_with(rotated):
    assert [e.key_id for e in AuditEntry.objects.order_by("sequence")] == (
        [OLD_ID] * 3 + [crypto.key_id(b"\x08" * 32)] * 2
    )
    result = verify_chain()
    assert result.ok and result.notes == []


def test_old_entries_are_checked_while_the_old_key_is_in_the_ring(rotated):
    tamper("UPDATE audit_auditentry SET target_id = 'x' WHERE sequence = 2")
    assert verify_chain().problems == ["Entry 2 was changed after it was written."]


def test_after_the_old_key_is_gone_old_entries_are_noted_not_failed(rotated):
    only_new_key(rotated)
    result = verify_chain()
    assert result.ok, result.problems
    assert result.notes == [
        f"3 entries between 1 and 3 were sealed with key {OLD_ID}, which entry 4 rotated out "
        "and which is no longer in the key ring: their links were checked, their contents "
        "were not. Add that key to the ring to check them."
    ]


def test_a_retired_key_named_after_its_rotation_is_a_problem(rotated):
    # Relabelling a new entry with the retired key would put it beyond checking: refused.
    only_new_key(rotated)
    tamper("UPDATE audit_auditentry SET key_id = %s WHERE sequence = 5", [OLD_ID])
    result = verify_chain()
    assert result.problems == [
        f"4 entries between 1 and 5 name key {OLD_ID}, which is not in the key ring and was "
        "rotated out by entry 4, before entry 5: they cannot be checked, and may be forged or "
        "come from another installation."
    ]


# --- the guards in the database ----------------------------------------------------------


@on_sqlite
@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditentry SET organisation_id = NULL",
    "UPDATE audit_auditentry SET detail = '{}' WHERE sequence = 3",
    "DELETE FROM audit_auditentry",
    "DELETE FROM audit_chainhead",
    "UPDATE audit_chainhead SET last_sequence = 4",
])
def test_the_database_refuses_changes_on_sqlite(chain, sql):
    with pytest.raises(DatabaseError, match="audit"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.count() == 5
    assert verify_chain().ok


@on_postgres
def test_a_cascading_truncate_of_accounts_is_refused(chain):
    with pytest.raises(DatabaseError, match="audit"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE auth_user CASCADE")
    assert AuditEntry.objects.count() == 5


def test_every_guard_is_in_place_after_migrating(db):
    assert guards.missing(connection) == []


def test_a_guard_switched_off_is_reported(chain):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_truncate")
            name = "audit_entry_no_truncate"
        else:
            cursor.execute("DROP TRIGGER audit_entry_no_delete")
            name = "audit_entry_no_delete"
    result = verify_chain()
    assert result.problems == [
        f"The database's guard against changing the audit trail is off or missing ({name}): "
        "someone switched it off, or a change to the tables dropped it."
    ]


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_puts_the_guards_back():
    record(Action.EXPORT, detail={"rows": 1})
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists() and not ChainHead.objects.exists()
    assert guards.missing(connection) == []
