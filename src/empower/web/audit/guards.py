"""Database triggers that refuse to change, remove or empty the audit trail.

They stop mistakes and scripts that go around the application, on PostgreSQL and on SQLite:

* an entry can be added, never changed (no column, not even a link) nor deleted;
* the chain head can only move forward by one entry, and cannot be deleted;
* on PostgreSQL, ``TRUNCATE`` of either table is refused (SQLite has no ``TRUNCATE``; its
  ``DELETE`` is refused).

Whoever owns the tables can still switch triggers off or drop them: the triggers are a guard
rail, not the proof. The proof is the keyed seal of every entry and the checkpoints kept
outside the database (see docs/audit.md); ``verify`` also reports a missing or disabled guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLES = ("audit_auditentry", "audit_chainhead")

POSTGRES_TRIGGERS = (
    "audit_entry_append_only", "audit_entry_no_truncate",
    "audit_head_forward_only", "audit_head_no_truncate",
)

POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'The audit trail is append-only: % on % refused.', TG_OP, TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_entry_append_only
  BEFORE UPDATE OR DELETE ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_entry_no_truncate
  BEFORE TRUNCATE ON audit_auditentry
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.last_sequence = OLD.last_sequence + 1 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'The audit chain head only moves forward: % refused.', TG_OP;
END
$$;
CREATE TRIGGER audit_head_forward_only
  BEFORE UPDATE OR DELETE ON audit_chainhead
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate
  BEFORE TRUNCATE ON audit_chainhead
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_chainhead;
DROP FUNCTION IF EXISTS audit_refuse_change();
DROP FUNCTION IF EXISTS audit_head_forward_only();
"""

# SQLite runs one statement per execute(), so these are lists. The head may also be "updated"
# to itself: that is how an appender takes SQLite's write lock before reading the head.
SQLITE_CREATE = [
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: UPDATE refused.'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: DELETE refused.'); END""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chainhead
       WHEN NOT (NEW.id = OLD.id AND (NEW.last_sequence = OLD.last_sequence + 1
                 OR (NEW.last_sequence = OLD.last_sequence AND NEW.last_hash = OLD.last_hash)))
       BEGIN SELECT RAISE(ABORT, 'The audit chain head only moves forward: UPDATE refused.');
       END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chainhead
       BEGIN SELECT RAISE(ABORT, 'The audit chain head only moves forward: DELETE refused.');
       END""",
]
SQLITE_TRIGGERS = (
    "audit_entry_no_update", "audit_entry_no_delete",
    "audit_head_forward_only", "audit_head_no_delete",
)


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_CREATE)
        elif connection.vendor == "sqlite":
            for sql in SQLITE_CREATE:
                cursor.execute(sql)


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def missing(connection: Any) -> list[str]:
    """The guard triggers that are absent or switched off (empty when all are in force)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgrelid IN ('audit_auditentry'::regclass, 'audit_chainhead'::regclass)"
            )
            expected = POSTGRES_TRIGGERS
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                list(TABLES),
            )
            expected = SQLITE_TRIGGERS
        else:
            return []
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]


@contextmanager
def suspended(connection: Any) -> Iterator[None]:
    """Lift the guards for the body, which must run inside a transaction: if anything fails,
    rolling back restores them. Only for ``flush``, which empties the whole database on
    purpose."""
    if not connection.in_atomic_block:
        raise RuntimeError("The audit guards are lifted only inside a transaction.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            remove(connection)
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            install(connection)
