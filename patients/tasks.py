"""Celery tasks of the reminders queue: thin, take ids, call a service."""

from celery import shared_task
from django.db import OperationalError

from base.tasks import runs

from .services import reminders
from .signals import SmsNotSent


@shared_task(acks_late=True)
def send_due_reminders() -> None:
    reminders.send_due_reminders()


@runs(reminders.deliver_reminder)
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, OSError, SmsNotSent),
    retry_backoff=60,
    retry_backoff_max=1800,
    max_retries=5,
)
def send_reminder(reminder_id: int) -> None:
    reminders.deliver_reminder(reminder_id)
