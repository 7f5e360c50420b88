"""What the triage queue shows, kept with the episode: its newest flag, its number of
flags, and its urgency as a rank the worklist's index sorts by. Filled in by 0015."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0013_check_in_alerted_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="episode",
            name="episode_status_urgency",
        ),
        migrations.AddField(
            model_name="episode",
            name="flag_count",
            field=models.PositiveIntegerField(
                default=0, help_text="The number of flags (check-ins) in the episode"
            ),
        ),
        migrations.AddField(
            model_name="episode",
            name="latest_flag",
            field=models.ForeignKey(
                blank=True,
                help_text="The newest flag of the episode (its latest check-in)",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="patients.flag",
            ),
        ),
        migrations.AddField(
            model_name="episode",
            name="urgency_rank",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(then=models.Value(0), urgency="green"),
                    models.When(then=models.Value(1), urgency="amber"),
                    models.When(then=models.Value(2), urgency="red"),
                    models.When(then=models.Value(3), urgency="emergency"),
                    default=models.Value(0),
                ),
                output_field=models.SmallIntegerField(),
            ),
        ),
        migrations.AddIndex(
            model_name="episode",
            index=models.Index(
                fields=["status", "-urgency_rank", "opened_at"], name="episode_worklist"
            ),
        ),
        migrations.AddIndex(
            model_name="episode",
            index=models.Index(fields=["status", "-resolved_at"], name="episode_resolved"),
        ),
    ]
