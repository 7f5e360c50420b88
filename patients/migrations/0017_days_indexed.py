"""Indexes for counting a day: flags, alerts and acknowledgements by when they were
made (the team figures)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0016_check_in_patient_day'),
    ]

    operations = [
        migrations.AlterField(
            model_name='acknowledgement',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name='flag',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
    ]
