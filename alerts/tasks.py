"""Celery tasks of the alerts queue: thin, take ids, call a service. Services queue
them on commit by naming the service they run (base.tasks.queue_after_commit)."""

from celery import shared_task
from django.db import IntegrityError, OperationalError

from base.tasks import runs

from .models import Heartbeat
from .services import delivery, escalation, flagging, sweep

# The database went away, or a concurrent task opened the same episode a moment
# ago (its transaction rolled back whole): try again later.
RETRY_ON = (OperationalError, IntegrityError)


@runs(flagging.flag_check_in)
@shared_task(
    acks_late=True, autoretry_for=RETRY_ON, retry_backoff=5, retry_backoff_max=300, max_retries=8
)
def evaluate_check_in(check_in_id: int) -> None:
    flagging.flag_check_in(check_in_id)


@runs(delivery.deliver_notification)
@shared_task(bind=True, acks_late=True, autoretry_for=RETRY_ON, retry_backoff=5, max_retries=8)
def deliver_notification(self, notification_id: int) -> None:
    delay = delivery.deliver_notification(notification_id)
    if delay is not None:
        # The row already says when; this is the fast path (the sweep is the safety net).
        raise self.retry(countdown=delay, max_retries=None)


@shared_task(acks_late=True)
def escalate_overdue_alerts() -> None:
    escalation.escalate_overdue_alerts()
    Heartbeat.beat(escalate_overdue_alerts.name)  # read by GET /health/


@shared_task(acks_late=True)
def send_due_notifications() -> None:
    sweep.send_due_notifications()
    Heartbeat.beat(send_due_notifications.name)  # read by GET /health/
