"""SendCount moves here from patients: the model only, not the table (renamed in 0002).

Its content type is relabelled, so that permissions granted on it carry over.
"""

from django.db import migrations, models


def relabel(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="patients", model="sendcount").update(app_label="base")


def unlabel(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="base", model="sendcount").update(app_label="patients")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("patients", "0006_send_counts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SendCount",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=64)),
                        ("window_ends", models.DateTimeField()),
                        ("count", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "patients_sendcount",
                        "indexes": [models.Index(fields=["window_ends"], name="send_count_window_ends")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("key", "window_ends"), name="one_count_per_window"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[migrations.RunPython(relabel, unlabel)],
        ),
    ]
