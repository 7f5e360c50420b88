"""SendCount's table takes this app's name: patients_sendcount becomes base_sendcount."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("base", "0001_initial"),
        ("patients", "0007_send_counts_moved_to_base"),
    ]

    operations = [
        migrations.AlterModelTable(name="sendcount", table=None),
    ]
