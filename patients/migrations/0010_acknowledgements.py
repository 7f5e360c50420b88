"""Acknowledgement in one place: the episode (1 of 3: the new table and field).

Before, acknowledging or resolving wrote the episode, each of its flags and the
alerts they raised. Now a clinician's acknowledgement is a row of its episode (who,
when), resolution is the episode's (with its note), and flags and alerts read their
state from it (patients/models/episodes.py, alerts/models.py). 0011 moves the data,
0012 drops the old fields; three migrations, so that PostgreSQL commits the rows
before their tables change.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0009_care_teams_and_episodes_moved_to_patients"),
        ("patients", "0009_tables_renamed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Acknowledgement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "episode",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="acknowledgements",
                        to="patients.episode",
                    ),
                ),
                (
                    "last_flag",
                    models.ForeignKey(
                        help_text="The episode's newest flag when it was acknowledged: it "
                        "and every earlier flag of the episode are seen (none for an "
                        "acknowledgement kept from before episodes that covered no flag "
                        "in order)",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="patients.flag",
                    ),
                ),
            ],
            options={
                "ordering": ["at", "pk"],
                "indexes": [
                    models.Index(fields=["episode", "last_flag"], name="acknowledgement_covers")
                ],
            },
        ),
        migrations.AddField(
            model_name="episode",
            name="resolution_note",
            field=models.TextField(blank=True),
        ),
    ]
