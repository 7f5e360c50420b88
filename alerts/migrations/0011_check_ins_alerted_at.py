"""Each check-in whose alert was raised says so (patients/migrations/0013)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def alerted(apps, schema_editor):
    CheckIn = apps.get_model("patients", "CheckIn")
    Alert = apps.get_model("alerts", "Alert")
    raised = Alert.objects.filter(check_in=OuterRef("pk")).values("created_at")[:1]
    CheckIn.objects.filter(alert__isnull=False).update(alerted_at=Subquery(raised))


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0010_alerts_read_their_answer"),
        ("patients", "0013_check_in_alerted_at"),
    ]

    operations = [migrations.RunPython(alerted, migrations.RunPython.noop)]
