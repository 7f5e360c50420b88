"""Acknowledgement in one place: the episode (3 of 3): flags keep no state of their own,
and every flag has an episode. The triage queue's index on status and urgency moves
from the flag to the episode."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0011_acknowledgements_moved")]

    operations = [
        migrations.RemoveIndex(model_name="flag", name="patients_fl_status_812fd8_idx"),
        migrations.AddIndex(
            model_name="episode",
            index=models.Index(fields=["status", "urgency"], name="episode_status_urgency"),
        ),
        migrations.RemoveField(model_name="episode", name="acknowledged_at"),
        migrations.RemoveField(model_name="episode", name="acknowledged_by"),
        migrations.RemoveField(model_name="flag", name="acknowledged_at"),
        migrations.RemoveField(model_name="flag", name="acknowledged_by"),
        migrations.RemoveField(model_name="flag", name="resolution_note"),
        migrations.RemoveField(model_name="flag", name="resolved_at"),
        migrations.RemoveField(model_name="flag", name="resolved_by"),
        migrations.RemoveField(model_name="flag", name="status"),
        migrations.AlterField(
            model_name="flag",
            name="episode",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="flags",
                to="patients.episode",
            ),
        ),
    ]
