"""Limits on the requests that make the app send an email to someone: a password
reset (anyone may ask, for any address) and a carer's invitation (a patient names
any address). Without them the app could be used to flood a mailbox.

Fixed windows counted in the database (base.models.SendCount), so every web process
shares them, with or without Redis, and a test's transaction rolls them back. A
subject is kept only as an HMAC, keyed by SECRET_KEY.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from .models import SendCount


def _key(kind: str, subject: str) -> str:
    message = f"{kind}\0{subject}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def limited_until(kind: str, subject: str, *, limit: int, per: timedelta, now=None):
    """Count one more request of `kind` for `subject`. None when it is within `limit`
    for the current window of length `per`; otherwise the time the window ends, when
    the next request will be allowed. A refused request is not counted."""
    now = now or timezone.now()
    seconds = int(per.total_seconds())
    ends = datetime.fromtimestamp((int(now.timestamp()) // seconds + 1) * seconds, tz=UTC)
    SendCount.objects.filter(window_ends__lte=now).delete()
    row, _ = SendCount.objects.get_or_create(key=_key(kind, subject), window_ends=ends)
    counted = SendCount.objects.filter(pk=row.pk, count__lt=limit).update(count=F("count") + 1)
    return None if counted else ends
