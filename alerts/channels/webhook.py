"""Signed JSON alerts for hospital systems and team chat tools.

Each POST carries two headers (see the README, "Webhook alerts"):
  X-Alert-Timestamp: seconds since the epoch, when it was signed
  X-Alert-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the contact's secret>
A receiver recomputes the HMAC over the raw body, compares in constant time and
rejects a timestamp more than 5 minutes old (verify_signature does exactly that).
"""

import hashlib
import hmac
import json
import time

from . import http
from .base import Channel, Message

TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None
) -> bool:
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - stamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature or "")


class WebhookChannel(Channel):
    """A coordinator types the address in, so the HTTP client checks it on every send
    (https, a public address or a listed network, no redirect) and keeps only the
    status of the reply: the webhook cannot be used to reach, or read, a server on
    the hospital's network that the operator has not allowed (alerts/channels/http.py)."""

    def __init__(self, secret: str):
        self.secret = secret

    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        body = json.dumps(
            {"idempotency_key": idempotency_key, **message.data, "text": message.short},
            sort_keys=True,
        ).encode()
        timestamp = int(time.time())
        response = http.post(
            address,
            what="webhook",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Alert-Timestamp": str(timestamp),
                "X-Alert-Signature": sign(self.secret, timestamp, body),
                "Idempotency-Key": idempotency_key,
            },
        )
        http.raise_for_status(response, "webhook")
