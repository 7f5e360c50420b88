"""Celery tasks of alerts: thin, take ids, call a service. Services queue them on
commit by naming the service they run (base.tasks.queue_after_commit) and the queue:
urgent for a red or emergency check-in's evaluation and its alert's deliveries,
alerts for the rest (delivery.queue_for); escalation is routed to urgent by settings.
Check-ins the request judged green are evaluated in batches (evaluate_check_ins)."""

import logging

from celery import shared_task
from django.db import IntegrityError, OperationalError
from django.utils import timezone

from base.queues import ALERTS
from base.tasks import enqueue, runs, take_batches

from .models import Heartbeat
from .services import delivery, escalation, flagging, sweep
from .services import figures as team_days

log = logging.getLogger(__name__)

# The database went away, or a concurrent task opened the same episode a moment
# ago (its transaction rolled back whole): try again later.
RETRY_ON = (OperationalError, IntegrityError)


@runs(flagging.flag_check_in)
@shared_task(
    acks_late=True, autoretry_for=RETRY_ON, retry_backoff=5, retry_backoff_max=300, max_retries=8
)
def evaluate_check_in(check_in_id: int) -> None:
    flagging.flag_check_in(check_in_id)


@runs(flagging.flag_check_ins)
@shared_task(acks_late=True)
def evaluate_check_ins(check_in_ids: list[int] | None = None) -> None:
    """Check-ins the request judged green, in batches (base.tasks.take_batches), or
    those of `check_in_ids` (queued without Redis). A batch that fails is handed on
    as a task a check-in, each with evaluate_check_in's retries, so that one
    check-in that cannot be judged holds up no other."""
    batches = [check_in_ids] if check_in_ids is not None else take_batches(flagging.flag_check_ins)
    for ids in batches:
        try:
            flagging.flag_check_ins(ids)
        except Exception:
            log.exception("a batch of %d check-ins failed; queued one by one", len(ids))
            for pk in ids:
                enqueue(evaluate_check_in, pk, queue=ALERTS)


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


@shared_task(acks_late=True)
def refresh_team_figures() -> None:
    """Count again the days of each team's figures that may have changed since this
    task last started (alerts/services/figures.py); the first run counts the window."""
    started = timezone.now()
    last = Heartbeat.objects.filter(name=refresh_team_figures.name).first()
    since = last.last_run_at - team_days.OVERLAP if last else None
    team_days.refresh_recent_days(now=started, since=since)
    Heartbeat.beat(refresh_team_figures.name, now=started)  # its start: the next run's since
