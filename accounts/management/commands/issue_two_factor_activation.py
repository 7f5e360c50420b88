"""An activation code from the server's command line: for the first admin of a new
deployment, whom no other admin can issue one to (accounts/activation.py)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.activation import activation_issue
from accounts.two_factor import confirmed_device, needs_second_factor


class Command(BaseCommand):
    help = (
        "Issue a one-time activation code with which USERNAME (staff or a member of a "
        "care team) sets up their first authenticator app. The code is printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not needs_second_factor(user):
            raise CommandError(f"{username} is not asked for a second factor.")
        if confirmed_device(user) is not None:
            raise CommandError(
                f"{username} has an authenticator app already: delete it in the admin first."
            )
        issued = activation_issue(user=user)
        until = timezone.localtime(issued.activation.expires_at)
        self.stdout.write(
            f"Activation code for {username}: {issued.code}\n"
            f"It works once, until {until:%H:%M on %d %B %Y}; it is not shown again."
        )
