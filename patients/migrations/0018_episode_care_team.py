"""Each episode keeps its patient's team (filled in by 0019, required by 0020), so
that a team's worklist is one index in the queue's order."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0017_days_indexed")]

    operations = [
        migrations.AddField(
            model_name="episode",
            name="care_team",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="episodes",
                to="patients.careteam",
            ),
        ),
    ]
