"""The care teams' figures kept one row a team a day (alerts/services/figures.py)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0011_check_ins_alerted_at'),
        ('patients', '0016_check_in_patient_day'),
    ]

    operations = [
        migrations.CreateModel(
            name='TeamDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(help_text="A calendar day in the team's time zone")),
                ('check_ins', models.PositiveIntegerField(default=0)),
                ('patient_ids', models.JSONField(default=list, help_text='The ids of the patients who checked in that day, sorted')),
                ('alerting_check_ins', models.PositiveIntegerField(default=0, help_text='Check-ins that raised an alert')),
                ('flags', models.JSONField(default=dict, help_text='Urgency -> flags raised that day')),
                ('alerts', models.JSONField(default=dict, help_text='Urgency -> alerts raised that day')),
                ('escalated_alerts', models.PositiveIntegerField(default=0, help_text='Alerts raised that day escalated at least once')),
                ('escalation_steps', models.PositiveIntegerField(default=0, help_text='Every escalation of those alerts')),
                ('waits', models.JSONField(default=dict, help_text='Urgency -> how long each acknowledged alert raised that day waited, in microseconds')),
                ('waiting', models.JSONField(default=dict, help_text='Urgency -> alerts raised that day not acknowledged yet')),
                ('computed_at', models.DateTimeField(help_text='When it was counted from the records')),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='patients.careteam')),
            ],
            options={
                'ordering': ['team', 'day'],
                'constraints': [models.UniqueConstraint(fields=('team', 'day'), name='one_figures_row_per_team_day')],
            },
        ),
    ]
