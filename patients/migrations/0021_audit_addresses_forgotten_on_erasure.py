from django.db import migrations

# The trail stays append-only, with one exception: an erasure forgets the IP addresses
# of the rows about the erased patient (patients/privacy.py, _forget_addresses). The
# trigger now lets through an UPDATE that sets `ip` to NULL and changes nothing else
# of the row; any other UPDATE, and every DELETE, is refused as before.
FORGETTABLE = """
CREATE OR REPLACE FUNCTION patients_auditevent_append_only() RETURNS trigger AS $$
DECLARE
    forgotten patients_auditevent;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        forgotten := OLD;
        forgotten.ip := NULL;
        IF NEW IS NOT DISTINCT FROM forgotten THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'patients_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION patients_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'patients_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forgettable(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORGETTABLE, params=None)


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0020_episode_team_worklist"),
    ]

    operations = [
        migrations.RunPython(forgettable, append_only),
    ]
