"""Celery tasks of accounts: thin, on the reminders queue (settings.CELERY_TASK_ROUTES)."""

from celery import shared_task

from .passwords import send_password_reset


@shared_task(
    # Its name from before it moved here, so that a reset queued by the release before
    # is still understood by this one's workers.
    name="patients.tasks.send_password_reset_email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_password_reset_email(email: str) -> None:
    """The lookup and the email of a password reset, off the request (views.PasswordResetView)."""
    send_password_reset(email)
