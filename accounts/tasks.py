"""Celery tasks of accounts: thin, on the reminders queue (settings.CELERY_TASK_ROUTES)."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm

from .passwords import send_password_reset


def password_reset_accounts(email: str) -> list[int]:
    """The ids of the accounts a reset asked for `email` goes to: what the request
    queues, so that the broker (Redis, and its saved copies) never holds the address.

    Django's own lookup (active, with a usable password, the same address in any
    case): one query, the same for an address with or without an account, and the
    task is queued either way, with no id for none."""
    return [user.pk for user in PasswordResetForm().get_users(email)]


@shared_task(
    # Its name from before it moved here, so that a reset queued by the release before
    # is still understood by this one's workers.
    name="patients.tasks.send_password_reset_email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_password_reset_email(accounts: list[int] | str) -> None:
    """The email of a password reset, off the request (views.PasswordResetView), to
    each of these accounts still active. A reset queued by a release before this one
    names an email address instead (a string): it is still sent."""
    if isinstance(accounts, str):
        send_password_reset(accounts)
        return
    User = get_user_model()
    users = User.objects.filter(pk__in=accounts, is_active=True)
    for email in sorted(set(users.values_list(User.get_email_field_name(), flat=True))):
        if email:
            send_password_reset(email)
