"""An episode always has its team; a team's worklist (open and acknowledged
episodes, most urgent and oldest first) is one partial index, replacing the index
on every team's open episodes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0019_episode_care_team_filled")]

    operations = [
        migrations.AlterField(
            model_name="episode",
            name="care_team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="episodes",
                to="patients.careteam",
            ),
        ),
        migrations.RemoveIndex(model_name="episode", name="episode_worklist"),
        migrations.AddIndex(
            model_name="episode",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "acknowledged"])),
                fields=["care_team", "-urgency_rank", "opened_at", "id"],
                name="episode_team_worklist",
            ),
        ),
    ]
