"""Print a curl command that delivers an SMS reply to the webhook as the provider
would, signed with SMS_TOKEN: for trying SMS check-ins locally (README)."""

import shlex
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...channels.sms import twilio_signature


class Command(BaseCommand):
    help = "Print a signed curl request that delivers an SMS reply to /sms/inbound/."

    def add_arguments(self, parser):
        parser.add_argument("body", nargs="+", help="the reply, e.g. OK D9")
        parser.add_argument("--from", dest="sender", default="+447700900123")
        parser.add_argument("--to", default=settings.SMS_FROM or "+447700900000")
        parser.add_argument("--sid", help="the provider's message id (default: a new one)")

    def handle(self, *args, body, sender, to, sid, **options):
        if not settings.SMS_TOKEN:
            raise CommandError(
                "SMS_TOKEN is not set, so the webhook refuses every request: set it (any "
                "value in development) for the server and for this command."
            )
        params = {
            "From": sender,
            "To": to,
            "Body": " ".join(body),
            "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        }
        url = settings.SMS_INBOUND_URL
        signature = twilio_signature(url, params, settings.SMS_TOKEN)
        self.stdout.write(
            "curl -sS "
            + shlex.quote(url)
            + " -H "
            + shlex.quote(f"X-Twilio-Signature: {signature}")
            + " --data "
            + shlex.quote(urlencode(params))
        )
