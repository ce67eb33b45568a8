"""On PostgreSQL, refuse UPDATE and DELETE of audit entries in the database itself.

The one UPDATE allowed is the database's own ON DELETE SET NULL: when a user or an
organisation is deleted, an entry's link to it becomes NULL and nothing else changes (the
hashed copies of the username and organisation stay). The chain head may only move forward
by one entry and may not be deleted. TRUNCATE is not blocked (tests empty tables with it);
``empower audit verify`` reports a truncated trail through the chain head.
"""

from django.db import migrations

ENTRY_COLUMNS = (
    "id", "sequence", "at", "actor_username", "organisation_slug", "action", "target_type",
    "target_id", "detail", "ip", "user_agent", "prev_hash", "hash",
)

CREATE = f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
     AND (NEW.organisation_id IS NULL OR NEW.organisation_id = OLD.organisation_id)
     AND ({", ".join("NEW." + c for c in ENTRY_COLUMNS)})
         IS NOT DISTINCT FROM ({", ".join("OLD." + c for c in ENTRY_COLUMNS)})
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'The audit trail is append-only: % of entry % refused.', TG_OP, OLD.sequence;
END
$$;
CREATE TRIGGER audit_entry_append_only
  BEFORE UPDATE OR DELETE ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();

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
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_chainhead;
DROP FUNCTION IF EXISTS audit_head_forward_only();
"""


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
