"""A patient's check-ins by day: the engine's history and the patient page's window."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0015_episode_worklist_filled"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="checkin",
            index=models.Index(fields=["patient", "-local_date"], name="check_in_patient_day"),
        ),
    ]
