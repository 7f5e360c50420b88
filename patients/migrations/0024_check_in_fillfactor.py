"""Room on each page of the check-ins table for the worker's update of a row it
claims (evaluated_at, then perhaps urgency and alerted_at): with the pages full, as
inserts leave them, PostgreSQL writes the new version on another page and adds it to
each of the table's indexes; with room, it updates in place (a HOT update) and the
indexes are untouched. Only new pages take the setting. Nothing on other databases."""

from django.db import migrations

FILLFACTOR = 85


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE patients_checkin SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE patients_checkin RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("patients", "0023_contact_fhir_endpoint")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
