import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="small_cell_threshold",
            field=models.PositiveSmallIntegerField(
                default=5, verbose_name="smallest group shown in shared reports",
                validators=[django.core.validators.MinValueValidator(3),
                            django.core.validators.MaxValueValidator(50)],
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="withdrawal_contact",
            field=models.CharField(
                blank=True, max_length=200,
                verbose_name="how participants can reach you to withdraw consent",
            ),
        ),
    ]
