"""Care teams, contacts, flags, episodes and actions now belong to patients
(patients/migrations/0008): they leave this app's state; the tables stay."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0008_heartbeat'),
        ('patients', '0008_care_teams_and_episodes_moved_from_alerts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='brokenchannel',
                    name='contact',
                ),
                migrations.RemoveField(
                    model_name='careteam',
                    name='members',
                ),
                migrations.RemoveField(
                    model_name='teammembership',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='contact',
                    name='team',
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='contact',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notifications', to='patients.contact'),
                ),
                migrations.RemoveField(
                    model_name='contacthours',
                    name='contact',
                ),
                migrations.AlterField(
                    model_name='alert',
                    name='contact',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='patients.contact'),
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='acknowledged_by',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='resolved_by',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='episode',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='acknowledged_by',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='check_in',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='resolved_by',
                ),
                migrations.RemoveField(
                    model_name='teammembership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Action',
                ),
                migrations.DeleteModel(
                    name='BrokenChannel',
                ),
                migrations.DeleteModel(
                    name='CareTeam',
                ),
                migrations.DeleteModel(
                    name='ContactHours',
                ),
                migrations.DeleteModel(
                    name='Contact',
                ),
                migrations.DeleteModel(
                    name='Episode',
                ),
                migrations.DeleteModel(
                    name='Flag',
                ),
                migrations.DeleteModel(
                    name='TeamMembership',
                ),
            ],
            database_operations=[],
        ),
    ]
