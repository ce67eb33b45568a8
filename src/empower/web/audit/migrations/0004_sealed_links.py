"""Entries get the id of the key they are sealed with, and their links may no longer change.

The links to the account and the organisation become part of each entry's seal (migration
0005 re-seals the existing entries), so deleting a linked account or organisation is refused
instead of emptying the link. The old PostgreSQL triggers allowed exactly that emptying; they
are dropped here and replaced by stricter ones in migration 0006, after the re-sealing.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_TRIGGERS = importlib.import_module(
    "empower.web.audit.migrations.0002_append_only_trigger"
)


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0003_ip_as_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_run(OLD_TRIGGERS.DROP), _run(OLD_TRIGGERS.CREATE)),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(default="", max_length=8),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="organisation",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to="accounts.organisation",
            ),
        ),
    ]
