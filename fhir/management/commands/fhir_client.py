"""python manage.py fhir_client --name "Epic EPR" --team "Immunotherapy Unit": make an
API client that may read the named teams' patients, and print its client id and
secret (shown this once: only a hash is kept). --revoke CLIENT_ID revokes one."""

from django.core.management.base import BaseCommand, CommandError

from patients.models import CareTeam

from ...models import ClientAccess
from ...oauth import create_client, revoke_client
from ...scopes import ALL_READ


class Command(BaseCommand):
    help = "Make an API client (OAuth client credentials) for care teams, or revoke one."

    def add_arguments(self, parser):
        parser.add_argument("--name", help="The record system's name")
        parser.add_argument(
            "--team", action="append", default=[], help="A care team's name (repeat for more)"
        )
        parser.add_argument(
            "--scopes", default=ALL_READ, help=f"Space-separated read scopes ({ALL_READ})"
        )
        parser.add_argument("--revoke", metavar="CLIENT_ID", help="Revoke this client instead")

    def handle(self, *args, **options):
        if options["revoke"]:
            access = ClientAccess.objects.filter(application__client_id=options["revoke"]).first()
            if access is None:
                raise CommandError(f"No API client {options['revoke']!r}.")
            revoke_client(access)
            self.stdout.write(f"Revoked {access.application.name}: its tokens no longer work.")
            return
        if not options["name"] or not options["team"]:
            raise CommandError("Give --name and at least one --team.")
        teams = list(CareTeam.objects.filter(name__in=options["team"]))
        missing = sorted(set(options["team"]) - {t.name for t in teams})
        if missing:
            raise CommandError(f"No care team named {', '.join(map(repr, missing))}.")
        try:
            access, secret = create_client(
                name=options["name"], teams=teams, scopes=options["scopes"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"client_id={access.application.client_id}")
        self.stdout.write(f"client_secret={secret}")
        self.stderr.write("The secret is shown this once: only its hash is kept.")
