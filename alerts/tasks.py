"""Celery tasks: thin, take ids, call a service. Queued on commit by the services."""

from celery import shared_task
from django.db import IntegrityError, OperationalError

from . import services
from .models import Heartbeat

# The database went away, or a concurrent task opened the same episode a moment
# ago (its transaction rolled back whole): try again later.
RETRY_ON = (OperationalError, IntegrityError)


@shared_task(
    acks_late=True, autoretry_for=RETRY_ON, retry_backoff=5, retry_backoff_max=300, max_retries=8
)
def evaluate_check_in(check_in_id: int) -> None:
    services.flag_check_in(check_in_id)


@shared_task(bind=True, acks_late=True, autoretry_for=RETRY_ON, retry_backoff=5, max_retries=8)
def deliver_notification(self, notification_id: int) -> None:
    delay = services.deliver_notification(notification_id)
    if delay is not None:
        # The row already says when; this is the fast path (the sweep is the safety net).
        raise self.retry(countdown=delay, max_retries=None)


@shared_task(acks_late=True)
def escalate_overdue_alerts() -> None:
    services.escalate_overdue_alerts()
    Heartbeat.beat(escalate_overdue_alerts.name)  # read by GET /health/


@shared_task(acks_late=True)
def send_due_notifications() -> None:
    services.send_due_notifications()
    Heartbeat.beat(send_due_notifications.name)  # read by GET /health/
