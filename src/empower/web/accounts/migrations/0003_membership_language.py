from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_organisation_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='language',
            field=models.CharField(blank=True, default='', max_length=10, verbose_name='language of the interface'),
        ),
    ]
