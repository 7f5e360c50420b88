import logging
from datetime import UTC, datetime

from django.conf import settings

from .base import Channel, ChannelError, Message

log = logging.getLogger(__name__)


class ConsoleSmsChannel(Channel):
    """Development SMS: the message goes to the log, and to SMS_FILE when set.

    A provider's HTTP API channel replaces it in production.
    """

    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        if not address.startswith("+") or not address[1:].isdigit():
            raise ChannelError(f"{address!r} is not an international number", permanent=True)
        line = f"SMS to {address} [{idempotency_key}]: {message.short}"
        log.info(line)
        if settings.SMS_FILE:
            try:
                with open(settings.SMS_FILE, "a", encoding="utf-8") as out:
                    out.write(f"{datetime.now(UTC).isoformat()} {line}\n")
            except OSError as exc:
                raise ChannelError(f"cannot write {settings.SMS_FILE}: {exc}") from exc
