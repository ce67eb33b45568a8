import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import empower.web.fields


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0002_narratives_encrypted"),
        ("people", "0003_consent_per_purpose"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AssessmentDraft",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("instrument_id", models.CharField(max_length=80)),
                ("instrument_version", models.CharField(max_length=20)),
                ("language", models.CharField(default="en", max_length=10)),
                ("data", empower.web.fields.EncryptedJSONField(default=dict)),
                ("stopped_for_distress", models.BooleanField(default=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("interviewer", models.ForeignKey(
                    null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                    to=settings.AUTH_USER_MODEL)),
                ("participant", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="drafts",
                    to="people.participant")),
            ],
            options={"ordering": ["-updated_at"]},
        ),
    ]
