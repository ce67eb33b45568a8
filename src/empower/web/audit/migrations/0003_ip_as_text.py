"""Keep the IP address as text, so it reads back exactly as it was hashed.

PostgreSQL's address type gives an address back in its own spelling; plain text does not.
``host()`` converts without the ``/32`` or ``/128`` that a plain cast would add. On SQLite the
column is text already.
"""

from django.db import migrations, models

TO_TEXT = "ALTER TABLE audit_auditentry ALTER COLUMN ip TYPE varchar(45) USING host(ip)"
TO_INET = "ALTER TABLE audit_auditentry ALTER COLUMN ip TYPE inet USING ip::inet"


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="ip",
                    field=models.CharField(
                        blank=True, max_length=45, null=True, verbose_name="from where"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_run(TO_TEXT), _run(TO_INET))],
        ),
    ]
