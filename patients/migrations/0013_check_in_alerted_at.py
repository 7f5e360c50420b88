"""A check-in says when its care team was sent an alert about it, which is what its
page tells the patient (alerts/migrations/0011 fills it in for alerts already sent)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0012_flags_read_their_episode")]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="alerted_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the care team was sent an alert about it (what its page tells "
                "the patient); none when its flags joined episodes the team already had",
                null=True,
            ),
        ),
    ]
