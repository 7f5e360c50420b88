"""SendCount now belongs to base (base/migrations/0001): the model leaves, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("base", "0001_initial"),
        ("patients", "0006_send_counts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SendCount")],
            database_operations=[],
        ),
    ]
