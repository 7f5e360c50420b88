"""Fill in each episode's newest flag and number of flags (0014 added them). A data
migration of its own: PostgreSQL refuses to alter a table in the transaction that
wrote its rows."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Episode = apps.get_model("patients", "Episode")
    Flag = apps.get_model("patients", "Flag")
    newest = Flag.objects.filter(episode=OuterRef("pk")).order_by("-created_at", "-pk")
    counted = (
        Flag.objects.filter(episode=OuterRef("pk"))
        .order_by()
        .values("episode")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Episode.objects.update(
        latest_flag=Subquery(newest.values("pk")[:1]), flag_count=Coalesce(Subquery(counted), 0)
    )


class Migration(migrations.Migration):
    dependencies = [("patients", "0014_episode_worklist")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
