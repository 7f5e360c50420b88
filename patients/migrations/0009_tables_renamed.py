"""The moved models' tables take this app's name (alerts_careteam becomes
patients_careteam, and so on), once alerts has let go of them."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0009_care_teams_and_episodes_moved_to_patients'),
        ('patients', '0008_care_teams_and_episodes_moved_from_alerts'),
    ]

    operations = [
        migrations.RenameIndex(
            model_name='flag',
            new_name='patients_fl_status_812fd8_idx',
            old_name='alerts_flag_status_3c58ae_idx',
        ),
        migrations.AlterModelTable(
            name='action',
            table=None,
        ),
        migrations.AlterModelTable(
            name='brokenchannel',
            table=None,
        ),
        migrations.AlterModelTable(
            name='careteam',
            table=None,
        ),
        migrations.AlterModelTable(
            name='contact',
            table=None,
        ),
        migrations.AlterModelTable(
            name='contacthours',
            table=None,
        ),
        migrations.AlterModelTable(
            name='episode',
            table=None,
        ),
        migrations.AlterModelTable(
            name='flag',
            table=None,
        ),
        migrations.AlterModelTable(
            name='teammembership',
            table=None,
        ),
    ]
