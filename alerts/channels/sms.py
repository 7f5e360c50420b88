import base64
import hashlib
import hmac
import logging
from datetime import UTC, datetime

from django.conf import settings

from . import http
from .base import Channel, ChannelError, Message

log = logging.getLogger(__name__)


def _check_number(address: str) -> None:
    if not address.startswith("+") or not address[1:].isdigit():
        raise ChannelError(f"{address!r} is not an international number", permanent=True)


class ConsoleSmsChannel(Channel):
    """Development SMS: the message goes to SMS_FILE when set (`make run` sets
    var/sms.log); the log names it by its idempotency key only, since logs are kept
    and shipped where erasure cannot reach, and the message holds a live link."""

    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        _check_number(address)
        line = f"SMS to {address} [{idempotency_key}]: {message.short}"
        where = f"written to {settings.SMS_FILE}" if settings.SMS_FILE else "not kept (no SMS_FILE)"
        # The number's last digits only: a patient's mobile number is theirs to erase.
        log.info("SMS to …%s [%s] %s", address[-3:], idempotency_key, where)
        if settings.SMS_FILE:
            try:
                with open(settings.SMS_FILE, "a", encoding="utf-8") as out:
                    out.write(f"{datetime.now(UTC).isoformat()} {line}\n")
            except OSError as exc:
                raise ChannelError(f"cannot write {settings.SMS_FILE}: {exc}") from exc


class HttpSmsChannel(Channel):
    """SMS through a Twilio-style REST API: a form POST of To, From and Body with
    basic auth to SMS_API_URL. 2xx is sent; 4xx (an invalid number) is permanent;
    429, 5xx and network errors are retried; a redirect is refused, and only the
    status of a reply is kept (alerts/channels/http.py). Such APIs take no idempotency key, so
    a retry after a lost reply can send a second SMS: at least once, by design."""

    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        _check_number(address)
        response = http.post(
            settings.SMS_API_URL,
            what="SMS provider",
            trusted=True,  # the operator's own setting, maybe a gateway on their network
            form={"To": address, "From": settings.SMS_FROM, "Body": message.short},
            auth=(settings.SMS_ACCOUNT, settings.SMS_TOKEN),
        )
        http.raise_for_status(response, "SMS provider")


def sms_channel() -> Channel:
    return HttpSmsChannel() if settings.SMS_API_URL else ConsoleSmsChannel()


# Inbound: the provider's signature on the replies it POSTs to /sms/inbound/


def twilio_signature(url: str, params, token: str) -> str:
    """Twilio's X-Twilio-Signature of a POST to `url` with form `params` (a dict of
    lists, or of strings): base64 of HMAC-SHA1, keyed by the account's auth token,
    over the URL followed by each parameter's name and value, sorted by name (the
    values of a repeated name sorted too)."""
    signed = url
    for name in sorted(params):
        values = params[name]
        for value in sorted(values if isinstance(values, list) else [values]):
            signed += f"{name}{value}"
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_valid(url: str, params, signature: str, token: str) -> bool:
    """Whether `signature` is the provider's for this request, compared in constant
    time. With no token set nothing is valid: an HMAC under an empty key is anyone's."""
    if not token or not signature:
        return False
    # Bytes: compare_digest refuses a str with characters beyond ASCII (a TypeError,
    # a 500 for anyone who sends one).
    return hmac.compare_digest(
        twilio_signature(url, params, token).encode(), signature.encode("utf-8", "replace")
    )
