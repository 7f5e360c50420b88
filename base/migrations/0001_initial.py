"""SendCount moves here from patients: the model only, not the table (renamed in 0002).

Its content type is relabelled, so that permissions granted on it carry over.
"""

from django.db import migrations, models


def move_content_type(apps, source: str, target: str) -> None:
    """Give SendCount's content type (and its permissions) to `target`; a stale one
    already there, made by a migrate that stopped in between, goes first."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    moving = ContentType.objects.filter(app_label=source, model="sendcount").first()
    if moving is not None:
        ContentType.objects.filter(app_label=target, model="sendcount").delete()
        ContentType.objects.filter(pk=moving.pk).update(app_label=target)


def relabel(apps, schema_editor):
    move_content_type(apps, "patients", "base")


def unlabel(apps, schema_editor):
    move_content_type(apps, "base", "patients")


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
