"""Database triggers on PostgreSQL and SQLite: no UPDATE (of any column, links included), no
DELETE and no TRUNCATE of entries; the chain head only moves forward. See ``guards``.

On SQLite a later migration that rebuilds one of the two tables drops its triggers with it;
such a migration must call ``guards.install`` again (``verify`` reports missing guards).
"""

from django.db import migrations

from empower.web.audit import guards


def install(apps, schema_editor):
    guards.install(schema_editor.connection)


def remove(apps, schema_editor):
    guards.remove(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [("audit", "0005_reseal_with_key")]

    operations = [migrations.RunPython(install, remove)]
