"""Celery tasks of the reminders queue: thin, take ids, call a service."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True)
def send_due_reminders() -> None:
    services.send_due_reminders()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=60,
    retry_backoff_max=1800,
    max_retries=5,
)
def send_reminder(reminder_id: int) -> None:
    services.deliver_reminder(reminder_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def send_password_reset_email(email: str) -> None:
    """symptom_tracker.accounts.queue_password_reset: the lookup and the email, off the
    request."""
    from symptom_tracker.accounts import send_password_reset

    send_password_reset(email)
