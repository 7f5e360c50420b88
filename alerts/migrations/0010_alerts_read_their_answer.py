"""An alert keeps no acknowledgement of its own: it is answered once every flag it
raised is seen, which it reads from their episodes (patients/migrations/0011 kept
every acknowledgement as a row). Backwards, its fields are filled from those rows."""

from django.db import migrations, models


def nothing(apps, schema_editor):
    """Forwards there is nothing to move: patients/migrations/0011 kept every
    acknowledgement of an alert as a row of its episodes."""


def answers_back(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    Flag = apps.get_model("patients", "Flag")
    Acknowledgement = apps.get_model("patients", "Acknowledgement")
    for alert in Alert.objects.iterator():
        seen = []
        for episode_id, flag_id in Flag.objects.filter(
            check_in_id=alert.check_in_id, alerted=True
        ).values_list("episode_id", "pk"):
            seen.append(
                Acknowledgement.objects.filter(episode_id=episode_id, last_flag_id__gte=flag_id)
                .order_by("at", "pk")
                .first()
            )
        if seen and None not in seen:
            answer = max(seen, key=lambda a: (a.at, a.pk))
            Alert.objects.filter(pk=alert.pk).update(
                acknowledged_at=answer.at, acknowledged_by_id=answer.by_id, escalate_at=None
            )


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0009_care_teams_and_episodes_moved_to_patients"),
        ("patients", "0012_flags_read_their_episode"),
    ]

    operations = [
        migrations.RunPython(nothing, answers_back),
        migrations.RemoveField(model_name="alert", name="acknowledged_at"),
        migrations.RemoveField(model_name="alert", name="acknowledged_by"),
        migrations.AlterField(
            model_name="alert",
            name="escalate_at",
            field=models.DateTimeField(
                blank=True,
                db_index=True,
                help_text="When it escalates if still unanswered",
                null=True,
            ),
        ),
    ]
