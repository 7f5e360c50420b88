"""Delivery: an alert's notifications, one a channel of its contact, handed to the
broker and delivered at least once.

Write the row, then talk to the network: each attempt is a row before the channel
is called and its outcome after, outside any transaction. A transient failure is
retried on DELIVERY_BACKOFF; a permanent one marks the contact's channel broken
and passes the alert on, to the contact's other channels and then down the chain.
Work is claimed with a conditional UPDATE, so that a task run twice delivers once.
A red or emergency alert's notifications go to the urgent queue (queue_for), which
its own workers serve, so that they never wait behind green work.
"""

import logging
import time
from datetime import timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from base.queues import ALERTS, URGENT
from base.tasks import queue_after_commit
from clinical.routing import ESCALATE_AFTER, next_in_chain
from clinical.urgency import RED, routed_as
from patients.models import BrokenChannel, CheckIn, Contact

from ..channels import ChannelError, channel_for
from ..messages import alert_message
from ..models import Alert, DeliveryAttempt, Notification

log = logging.getLogger(__name__)

# Seconds to wait before each retry of a transient delivery failure; then it fails.
DELIVERY_BACKOFF = (30, 120, 600, 1800, 3600)
# A delivery claimed this long ago with no outcome is taken to have died with its worker.
STALE_SENDING = timedelta(minutes=10)
# Pauses between tries at recording a delivery's outcome after the database
# connection dropped: the provider has the message, so the outcome must not be lost.
RECORD_RETRY_PAUSES = (0.5, 2.0, 5.0)


def queue_for(urgency: str) -> str:
    """The queue of a check-in's evaluation and of its alert's deliveries: urgent for
    red and emergency (routed as red), alerts for the rest."""
    return URGENT if routed_as(urgency) == RED else ALERTS


def notify(alert: Alert, contact: Contact, not_before, now) -> list[int]:
    """Write a notification per working channel of `contact` (or, with none working,
    of the next contact in the chain) and queue the due ones on commit."""
    while not contact.channels():
        following = next_contact(alert, after=contact, now=now)
        if following is None:
            log.error("alert %s: no contact left with a working channel", alert.pk)
            return []
        log.warning(
            "alert %s: %s has no working channel; going to %s", alert.pk, contact, following
        )
        contact = following
        Alert.objects.filter(pk=alert.pk).update(contact=contact)
        alert.contact = contact
    told = set(alert.notifications.filter(contact=contact).values_list("channel", flat=True))
    notifications = [
        Notification.objects.create(
            alert=alert,
            contact=contact,
            channel=kind,
            address=address,
            level=alert.level,
            not_before=not_before,
            created_at=now,
        )
        for kind, address in contact.channels()
        if kind not in told  # a contact met again (an order changed) is not told twice
    ]
    ids = [n.pk for n in notifications]
    due = [n.pk for n in notifications if n.not_before <= now]
    queue_notifications(due, urgency=alert.urgency, now=now)
    return ids


def next_contact(alert: Alert, *, after: Contact, now) -> Contact | None:
    team = alert.check_in.patient.care_team
    spec = next_in_chain(team.contact_specs(), alert.urgency, after.order, now, team.tz)
    return Contact.objects.get(pk=spec.ref) if spec else None


def _fall_through(notification: Notification, now) -> None:
    """After a permanent failure: nothing more while another of the contact's
    channels for this alert is pending or sent; otherwise its untried working
    channels, and failing those the next contact in the chain (on duty, handling
    the urgency), which then holds the alert."""
    alert, contact = Alert.objects.get(pk=notification.alert_id), notification.contact
    if not Alert.objects.unanswered().filter(pk=alert.pk).exists():
        return
    if alert.contact_id != contact.pk or alert.level > notification.level:
        return  # the alert has moved on (escalated) since this notification was written
    mine = Notification.objects.filter(alert=alert, contact=contact).exclude(pk=notification.pk)
    if mine.exclude(status="failed").exists():
        return
    tried = set(mine.values_list("channel", flat=True)) | {notification.channel}
    if any(kind not in tried for kind, _ in contact.channels()):
        for kind, address in contact.channels():
            if kind not in tried:
                pending = Notification.objects.create(
                    alert=alert,
                    contact=contact,
                    channel=kind,
                    address=address,
                    level=notification.level,
                    created_at=now,
                )
                queue_notifications([pending.pk], urgency=alert.urgency, now=now)
        return
    following = next_contact(alert, after=contact, now=now)
    if following is None:
        log.error("alert %s: every channel failed and nobody follows %s", alert.pk, contact)
        return
    Alert.objects.filter(pk=alert.pk).update(
        contact=following,
        level=F("level") + 1,
        escalate_at=now + ESCALATE_AFTER[routed_as(alert.urgency)],
    )
    alert.refresh_from_db()
    notify(alert, following, now, now)


def queue_notifications(ids: list[int], *, urgency: str, now=None) -> None:
    """Mark the notifications (of alerts at `urgency`) handed to the broker and queue
    them, on the queue for that urgency, once the transaction commits."""
    if not ids:
        return
    Notification.objects.filter(pk__in=ids).update(queued_at=now or timezone.now())
    queue = queue_for(urgency)
    for pk in ids:
        queue_after_commit(deliver_notification, pk, queue=queue)


def deliver_notification(notification_id: int, *, now=None) -> int | None:
    """Deliver one notification; returns seconds until a retry, or None when done.

    1. Claim it (queued and due -> sending); a second run stops here.
    2. Write the attempt row, then call the channel outside any transaction.
    3. Record the outcome: sent; failed (permanent error, or retries used up);
       or queued again with the next backoff delay.
    """
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status="queued", not_before__lte=now
    ).update(status="sending", attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return None
    # In two reads of a few tables each: PostgreSQL took longer to plan the one join
    # of all seven (1.7 ms) than to run both.
    notification = Notification.objects.select_related("alert", "contact").get(pk=notification_id)
    notification.alert.check_in = CheckIn.objects.select_related(
        "patient__user", "patient__care_team"
    ).get(pk=notification.alert.check_in_id)
    attempt = DeliveryAttempt.objects.create(notification=notification, started_at=now)
    try:
        channel_for(notification.channel, notification.contact).deliver(
            notification.address,
            alert_message(notification),
            idempotency_key=f"notification-{notification.pk}",
        )
    except Exception as exc:  # anything else is a transient failure with the same limits
        if not isinstance(exc, ChannelError):
            log.exception("notification %s: unexpected delivery error", notification.pk)
            exc = ChannelError(f"{type(exc).__name__}: {exc}")
        error = str(exc)[:500]
        _recorded(lambda: _finish(attempt, ok=False, error=error))
        retries_left = notification.attempts <= len(DELIVERY_BACKOFF)
        permanent = exc.permanent
        if permanent or not retries_left:
            log.warning("notification %s failed: %s", notification.pk, error)
            _recorded(lambda: _fail(notification, error, permanent, now))
            return None
        delay = DELIVERY_BACKOFF[notification.attempts - 1]
        retry_at = now + timedelta(seconds=delay)
        _recorded(
            lambda: Notification.objects.filter(pk=notification.pk).update(
                status="queued", not_before=retry_at, queued_at=retry_at, last_error=error
            )
        )
        return delay
    _recorded(lambda: _sent(notification, attempt))
    return None


def _sent(notification: Notification, attempt: DeliveryAttempt) -> None:
    _finish(attempt, ok=True)
    Notification.objects.filter(pk=notification.pk).update(status="sent", sent_at=timezone.now())


def _fail(notification: Notification, error: str, permanent: bool, now) -> None:
    """Record a notification that will not be retried, and go on down the chain."""
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(status="failed", last_error=error)
        if permanent:
            BrokenChannel.objects.update_or_create(
                contact=notification.contact,
                channel=notification.channel,
                defaults={"since": now, "error": error},
            )
        _fall_through(notification, now)


def _recorded(write):
    """Run `write`, which records the outcome of a channel call already made.

    Should the database connection have dropped meanwhile (a restart, a failover),
    reconnect and write again, a few times: the worker knows the outcome, and a
    notification left in 'sending' would be taken by the sweep for a dead worker's
    and sent a second time. Each write is idempotent (or one transaction, rolled
    back whole). Inside a caller's transaction nothing can be retried. Django runs
    no connection health check inside a Celery task, hence the explicit close.
    """
    for pause in (*RECORD_RETRY_PAUSES, None):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if pause is None or connection.in_atomic_block:
                raise
            log.warning("database connection lost while recording a delivery; reconnecting")
            connection.close()
            time.sleep(pause)


def _finish(attempt: DeliveryAttempt, *, ok: bool, error: str = "") -> None:
    attempt.ok, attempt.error, attempt.finished_at = ok, error, timezone.now()
    attempt.save(update_fields=["ok", "error", "finished_at"])
