"""Care teams (with their members and contact lists), flags, episodes and actions move
here from alerts, so that patients never needs alerts: the models only, and their
content types (so that permissions granted on them carry over). Their tables keep
the alerts_ names until 0009 renames them.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import patients.models
from django.conf import settings
from django.db import migrations, models


MOVED = ["careteam", "teammembership", "contact", "contacthours", "brokenchannel", "episode", "action", "flag"]


def move_content_types(apps, source: str, target: str) -> None:
    """Give the moved models' content types (and so their permissions and admin log
    entries) to `target`. A stale one already there, made by a migrate that stopped
    in between, goes first."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moving = ContentType.objects.filter(app_label=source, model=model).first()
        if moving is not None:
            ContentType.objects.filter(app_label=target, model=model).delete()
            ContentType.objects.filter(pk=moving.pk).update(app_label=target)


def relabel(apps, schema_editor):
    move_content_types(apps, "alerts", "patients")


def unlabel(apps, schema_editor):
    move_content_types(apps, "patients", "alerts")


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0008_heartbeat'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('patients', '0007_send_counts_moved_to_base'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CareTeam',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120, unique=True)),
                        ('time_zone', models.CharField(default='Europe/London', help_text='Contact hours are read in this zone.', max_length=64, validators=[patients.models.validate_time_zone])),
                        ('after_treatment_reminders', models.CharField(choices=[('weekly', 'Weekly'), ('none', 'None')], default='weekly', help_text='Late effects can appear more than a year after treatment ends.', max_length=8, verbose_name='check-in reminders after treatment')),
                    ],
                    options={
                        'db_table': 'alerts_careteam',
                        'ordering': ['name'],
                    },
                ),
                migrations.AlterField(
                    model_name='patient',
                    name='care_team',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='patients', to='patients.careteam'),
                ),
                migrations.CreateModel(
                    name='Contact',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('role', models.CharField(blank=True, max_length=120)),
                        ('phone', models.CharField(max_length=32, verbose_name='phone shown to patients')),
                        ('when_to_call', models.CharField(blank=True, help_text="Shown to patients, e.g. 'weekdays, in clinic hours'", max_length=200)),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='alert email')),
                        ('sms_number', models.CharField(blank=True, help_text='International format with no spaces, e.g. +447700900123', max_length=16, validators=[django.core.validators.RegexValidator('^\\+[1-9]\\d{7,14}$', 'Enter the number in international format with no spaces, e.g. +447700900123.')], verbose_name='alert SMS number')),
                        ('webhook_url', patients.models.HttpsURLField(blank=True, help_text='A hospital system or team chat: signed JSON POST', verbose_name='alert webhook URL')),
                        ('webhook_secret', models.CharField(blank=True, default=patients.models.new_webhook_secret, help_text='Shared secret for the X-Signature header (HMAC-SHA256); see the README', max_length=64)),
                        ('handles_amber', models.BooleanField(default=False)),
                        ('handles_red', models.BooleanField(default=False, verbose_name='handles red (and emergency)')),
                        ('always_on_duty', models.BooleanField(default=False, verbose_name='on duty 24/7')),
                        ('order', models.PositiveSmallIntegerField(help_text='Place in the escalation chain, 1 first')),
                        ('active', models.BooleanField(default=True)),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='patients.careteam')),
                    ],
                    options={
                        'db_table': 'alerts_contact',
                        'ordering': ['team', 'order'],
                    },
                ),
                migrations.CreateModel(
                    name='BrokenChannel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'Email'), ('webhook', 'Webhook')], max_length=16)),
                        ('since', models.DateTimeField(default=django.utils.timezone.now)),
                        ('error', models.CharField(max_length=500)),
                        ('contact', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='broken_channels', to='patients.contact')),
                    ],
                    options={
                        'db_table': 'alerts_brokenchannel',
                    },
                ),
                migrations.CreateModel(
                    name='ContactHours',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('days', models.CharField(help_text='mon-fri, sat,sun, or mon', max_length=40)),
                        ('start', models.CharField(help_text='HH:MM', max_length=5)),
                        ('end', models.CharField(help_text='HH:MM, up to 24:00; not included', max_length=5)),
                        ('contact', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hours', to='patients.contact')),
                    ],
                    options={
                        'verbose_name_plural': 'contact hours',
                        'db_table': 'alerts_contacthours',
                    },
                ),
                migrations.CreateModel(
                    name='Episode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('symptom', models.CharField(max_length=40)),
                        ('urgency', models.CharField(choices=[('green', 'Green'), ('amber', 'Amber'), ('red', 'Red'), ('emergency', 'Emergency')], max_length=16)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved')], default='open', max_length=16)),
                        ('opened_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='episodes', to='patients.patient')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'alerts_episode',
                        'ordering': ['-opened_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Action',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('phoned', 'Phoned the patient'), ('emergency_department', 'Advised emergency department'), ('admitted', 'Admitted'), ('treatment_held', 'Treatment held'), ('steroids_started', 'Steroids started'), ('advice', 'Advice given'), ('no_action', 'No action needed')], max_length=32)),
                        ('note', models.TextField(blank=True, max_length=2000)),
                        ('taken_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('taken_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('episode', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='actions', to='patients.episode')),
                    ],
                    options={
                        'db_table': 'alerts_action',
                        'ordering': ['taken_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Flag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('alerted', models.BooleanField(default=True, help_text='False when it joined an open episode at no higher urgency')),
                        ('symptom', models.CharField(max_length=40)),
                        ('urgency', models.CharField(choices=[('green', 'Green'), ('amber', 'Amber'), ('red', 'Red'), ('emergency', 'Emergency')], max_length=16)),
                        ('rule', models.CharField(max_length=8)),
                        ('raised_by', models.CharField(blank=True, help_text='R14, R15', max_length=40)),
                        ('rule_set', models.CharField(default='v1', max_length=8)),
                        ('explanation', models.CharField(max_length=300)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved')], default='open', max_length=16)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('resolution_note', models.TextField(blank=True)),
                        ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('check_in', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='flags', to='patients.checkin')),
                        ('episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='flags', to='patients.episode')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'alerts_flag',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='TeamMembership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('nurse', 'Nurse'), ('oncologist', 'Oncologist'), ('coordinator', 'Coordinator')], default='nurse', max_length=16)),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='patients.careteam')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='team_memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'alerts_teammembership',
                    },
                ),
                migrations.AddField(
                    model_name='careteam',
                    name='members',
                    field=models.ManyToManyField(blank=True, related_name='care_teams', through='patients.TeamMembership', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddConstraint(
                    model_name='contact',
                    constraint=models.UniqueConstraint(fields=('team', 'order'), name='one_contact_per_order'),
                ),
                migrations.AddConstraint(
                    model_name='brokenchannel',
                    constraint=models.UniqueConstraint(fields=('contact', 'channel'), name='one_record_per_channel'),
                ),
                migrations.AddConstraint(
                    model_name='episode',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'resolved'), _negated=True), fields=('patient', 'symptom'), name='one_open_episode_per_symptom'),
                ),
                migrations.AddIndex(
                    model_name='flag',
                    index=models.Index(fields=['status', 'urgency'], name='alerts_flag_status_3c58ae_idx'),
                ),
                migrations.AddConstraint(
                    model_name='flag',
                    constraint=models.UniqueConstraint(fields=('check_in', 'symptom', 'rule'), name='one_flag_per_finding'),
                ),
                migrations.AddConstraint(
                    model_name='teammembership',
                    constraint=models.UniqueConstraint(fields=('team', 'user'), name='one_membership'),
                ),
            ],
            database_operations=[migrations.RunPython(relabel, unlabel)],
        ),
    ]
