from django.core.management.base import BaseCommand, CommandError

from alerts.figures import WINDOW_DAYS
from alerts.services.figures import refresh_all_days


class Command(BaseCommand):
    help = (
        "Count the care teams' figures again from the records, one row a team a day, "
        "for the last N days (today included): after the migration that made the rows, "
        "after a team's time zone changed, or for the bench. The worker keeps recent days "
        "up to date by itself (alerts.tasks.refresh_team_figures)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=WINDOW_DAYS,
            help=f"how many days back, today included (default {WINDOW_DAYS}: the page's window)",
        )

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        written = refresh_all_days(days=days)
        self.stdout.write(f"counted {written} team day{'s' if written != 1 else ''}")
