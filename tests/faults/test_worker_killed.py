"""Fault 2: a worker killed with SIGKILL in the middle of a delivery.

How deliver_notification claims work (alerts/services/delivery.py): a conditional UPDATE
moves the notification from 'queued' to 'sending' (attempts + 1, claimed_at); a
DeliveryAttempt row is written; the channel is called outside any transaction;
the outcome is recorded. A worker killed after the claim leaves the row in
'sending' with no outcome; its task message stays unacknowledged in Redis (it
comes back only after the broker's one-hour visibility timeout). The beat sweep
(send_due_notifications) takes a claim older than STALE_SENDING (10 minutes) as a
lost worker, closes its attempt as "no outcome: the worker was lost" and queues
the notification again.

So what the design can promise depends on where the kill lands:
- before the provider got the request: the alert is delivered exactly once;
- after the provider accepted it but before its reply was recorded: nobody can
  know whether it went, so it is sent once more (at least once). The SMS API
  takes no idempotency key, so the provider sees the same notification twice;
  a webhook carries the same Idempotency-Key both times, so a receiver that
  de-duplicates on it (as the README asks) acts on it exactly once. Never a third
  send, however often the sweep runs or the lost task comes back.
"""

import contextlib
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import tasks
from alerts.channels.webhook import verify_signature
from alerts.models import DeliveryAttempt, Notification
from alerts.services import delivery, sweep

from .conftest import (
    admin_connection,
    backends,
    check_in_form,
    emails_by_notification,
    logged_in,
    london_team,
    make_patient,
    queue_drained,
    restore_unacknowledged,
    submit,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

LOST = "no outcome: the worker was lost"


def sweep_after_a_lost_worker():
    """Beat's sweep once the claim is stale (11 minutes on)."""
    sweep.send_due_notifications(now=timezone.now() + delivery.STALE_SENDING + timedelta(minutes=1))


def all_sent(notifications, expected: int) -> bool:
    """A fresh look at the rows (a queryset caches what it has read)."""
    statuses = list(notifications.all().values_list("status", flat=True))
    return statuses == ["sent"] * expected


def run_everything_again(redis_server, worker, notifications):
    """More sweeps; the killed worker's task message back from Redis (as it will be an
    hour later), and every delivery task delivered once more."""
    sweep_after_a_lost_worker()

    def only_the_lost_message_left():
        client = redis_server.client()
        waiting = client.llen("urgent") + client.llen("alerts")
        return waiting == 0 and client.hlen("unacked") == 1

    wait_for(only_the_lost_message_left, what="the live worker to finish", logs=[worker])
    assert restore_unacknowledged(redis_server) == 1  # the killed worker's message
    for notification in notifications:
        tasks.deliver_notification.delay(notification.pk)
    wait_for(lambda: queue_drained(redis_server), what="the queue to drain", logs=[worker])


def test_a_worker_killed_after_its_claim_and_before_the_provider_got_it_delivers_once(
    redis_server, start_worker, provider, mail_dir
):
    """Killed between the claim and the network call: exactly one SMS, one email.

    To stop the worker at that point, a connection of the test's own holds a SHARE
    lock on the attempts table: the worker claims the SMS notification, then waits to
    write its DeliveryAttempt row, before any network call. It is killed there.
    """
    first = start_worker()
    patient = make_patient(london_team())
    lock = admin_connection()
    try:
        with lock.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("LOCK TABLE alerts_deliveryattempt IN SHARE MODE")
        response, _ = submit(logged_in(patient), check_in_form(stools_per_day=9))
        assert response.status_code == 200

        def waiting_to_write_its_attempt():
            return any(wait == "Lock" for _, _, wait in backends(first.app_name))

        wait_for(waiting_to_write_its_attempt, what="the worker to block", logs=[first])
        claimed = Notification.objects.get(status="sending")
        assert claimed.channel == "sms" and provider.requests() == []
        first.kill()
        second = start_worker(wait=False)  # starting while we look at what is left
        with lock.cursor() as cur:
            cur.execute("ROLLBACK")
    finally:
        with contextlib.suppress(Exception):
            lock.rollback()
        lock.close()
    # The killed worker's server backend finishes its statement and goes.
    wait_for(lambda: not backends(first.app_name), what="the killed worker's backend to go")

    second.wait_until_ready()
    sweep_after_a_lost_worker()
    notifications = Notification.objects.filter(alert__check_in__patient=patient)
    wait_for(lambda: all_sent(notifications, 2), what="both notifications sent", logs=[second])
    run_everything_again(redis_server, second, notifications)

    claimed.refresh_from_db()
    assert (claimed.status, claimed.attempts) == ("sent", 2)  # two claims, one send
    attempts = list(DeliveryAttempt.objects.filter(notification=claimed))
    assert [a.ok for a in attempts if a.ok] == [True]
    assert all(a.error == LOST for a in attempts if not a.ok)  # the lost claim, if recorded
    sms = provider.requests("/sms")
    assert [(r.notification_id, r.status) for r in sms] == [(claimed.pk, 201)]
    email = notifications.get(channel="email")
    assert (email.status, email.attempts) == ("sent", 1)
    assert emails_by_notification(mail_dir) == {email.pk: 1}


@pytest.mark.parametrize("channel", ["sms", "webhook"])
def test_a_worker_killed_while_the_provider_holds_the_request_is_sent_at_most_once_more(
    channel, redis_server, start_worker, provider, mail_dir
):
    """Killed after the provider accepted the message, before the reply came back.

    The strongest true statement: the alert is never lost; the system's record
    (two claims, the first closed as 'worker lost', the second ok) matches what the
    provider saw (the same notification twice, both accepted); both carry the same
    identity (the signed link of that notification, and for the webhook the same
    Idempotency-Key and a valid signature, so a de-duplicating receiver acts once);
    the alert's other channels are delivered exactly once; nothing is sent a third
    time when the sweep runs again and every task is redelivered.
    """
    path = f"/{'hook' if channel == 'webhook' else 'sms'}"
    team = london_team(webhook_url=provider.url("/hook"))
    patient = make_patient(team)
    first = start_worker()
    hold = provider.hold(path)

    response, _ = submit(logged_in(patient), check_in_form(stools_per_day=9))
    assert response.status_code == 200
    hold.wait_until_held(logs=[first])
    held = Notification.objects.get(status="sending")
    assert held.channel == channel
    first.kill()  # mid-delivery: the provider has the request, the worker is gone
    second = start_worker(wait=False)
    hold.release()
    attempt = DeliveryAttempt.objects.get(notification=held)
    assert attempt.finished_at is None and attempt.ok is None

    second.wait_until_ready()
    sweep_after_a_lost_worker()
    notifications = Notification.objects.filter(alert__check_in__patient=patient)
    wait_for(lambda: all_sent(notifications, 3), what="all three notifications sent", logs=[second])
    run_everything_again(redis_server, second, notifications)

    held.refresh_from_db()
    assert (held.status, held.attempts) == ("sent", 2)
    attempts = DeliveryAttempt.objects.filter(notification=held)
    assert [(a.ok, a.error) for a in attempts] == [(False, LOST), (True, "")]

    seen = provider.requests(path)
    assert [(r.notification_id, r.status) for r in seen] == [(held.pk, 201), (held.pk, 201)]
    if channel == "webhook":
        secret = held.contact.webhook_secret
        assert {r.headers["idempotency-key"] for r in seen} == {f"notification-{held.pk}"}
        assert all(
            verify_signature(
                secret, r.headers["x-alert-timestamp"], r.body, r.headers["x-alert-signature"]
            )
            for r in seen
        )

    others = notifications.exclude(pk=held.pk)
    assert all((n.status, n.attempts) == ("sent", 1) for n in others)
    other_path = "/sms" if channel == "webhook" else "/hook"
    other = others.get(channel="webhook" if channel == "sms" else "sms")
    assert Counter(r.notification_id for r in provider.requests(other_path)) == {other.pk: 1}
    assert emails_by_notification(mail_dir) == {others.get(channel="email").pk: 1}
