import json

from django.db import migrations

import empower.web.fields
from empower.web import crypto

CONTEXT = "assessments.assessment.narratives"


def encrypt_existing(apps, schema_editor):
    """Narratives written before encryption are sealed in place."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, narratives FROM assessments_assessment")
        rows = cursor.fetchall()
        for pk, value in rows:
            if value is None or crypto.is_encrypted(value):
                continue
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            cursor.execute(
                "UPDATE assessments_assessment SET narratives = %s WHERE id = %s",
                [crypto.encrypt(text, CONTEXT), pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assessment",
            name="narratives",
            field=empower.web.fields.EncryptedJSONField(default=dict),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
