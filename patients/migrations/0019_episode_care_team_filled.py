"""Every episode's team is its patient's (a data migration of its own: PostgreSQL
refuses to alter a table in the transaction that wrote its rows)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Episode = apps.get_model("patients", "Episode")
    Patient = apps.get_model("patients", "Patient")
    team = Patient.objects.filter(pk=OuterRef("patient_id")).values("care_team_id")[:1]
    Episode.objects.update(care_team_id=Subquery(team))


class Migration(migrations.Migration):
    dependencies = [("patients", "0018_episode_care_team")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
