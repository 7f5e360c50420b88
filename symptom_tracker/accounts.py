"""Logging in: the lockout page (django-axes) and password reset by email.

The login view itself is Django's; django-axes counts its failures (settings:
AXES_*). Five wrong passwords for one username from one address lock that pair
out for AXES_COOLOFF_TIME, a right password included; the page says until when,
and what to do meanwhile if the person is unwell.
"""

import ipaddress
import logging
import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as reset_lockouts
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse_lazy
from django.utils import timezone

from base.client_address import client_address
from base.throttle import limited_until

log = logging.getLogger(__name__)


class LoginForm(AuthenticationForm):
    """Django's, refusing a username longer than any account's before anything looks
    it up: django-axes records a failed username in a VARCHAR(255), which PostgreSQL
    would refuse with a server error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
        field.help_text = "Carers: your username is your email address."


class NewPasswordForm(SetPasswordForm):
    """Django's, in plain words: 'New password confirmation' becomes 'again'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].label = "The same password again"


def locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the page shown instead of the login form while locked out."""
    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    last_failure = (
        AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    until = (last_failure or timezone.now()) + cool_off
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    context = {
        "until": until,
        "same_day": timezone.localdate(until) == timezone.localdate(),
        "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/locked_out.html", context, status=429)


def client_network(request) -> str:
    """The client for a limit: its IPv4 address, or its IPv6 /64, which one household
    or one server usually holds whole."""
    address = client_address(request)
    if address is None:
        return "unknown"
    if ipaddress.ip_address(address).version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address


def same_address(email: str) -> str:
    """One spelling for every way of typing an address that finds the same account:
    the database matches case-insensitively, and PostgreSQL's UPPER() takes some
    characters to ASCII that Python's lower() keeps (the long s, U+017F, is an 's')."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's form, and the page says nothing either way, so that nobody learns which
    addresses have accounts: not by its words, and not by its speed, as the worker
    finds the account and sends the email (queue_password_reset). The link is built
    on SITE_URL, never on the Host header of the request.

    Requests are limited an hour for one email address and from one client address,
    whether or not the address has an account (so the limit tells nothing either):
    past it the form says until when, and nothing is sent."""

    def form_valid(self, form):
        hour = timedelta(hours=1)
        until = limited_until(
            "password-reset-client",
            client_network(self.request),
            limit=settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR,
            per=hour,
        ) or limited_until(
            "password-reset-email",
            same_address(form.cleaned_data["email"]),
            limit=settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR,
            per=hour,
        )
        if until is None:
            queue_password_reset(form.cleaned_data["email"])
            return HttpResponseRedirect(self.get_success_url())
        form.add_error(
            None,
            "We have sent as many password links as we send in an hour, so we have not "
            f"sent another. Please try again after {timezone.localtime(until):%H:%M}, "
            "and look in your junk or spam folder meanwhile.",
        )
        return self.render_to_response(self.get_context_data(form=form), status=429)


def send_password_reset(email: str) -> None:
    """Email a reset link to each active account with this address (Django's form does
    the finding, the token and the sending). Its link is built on SITE_URL."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=urlsplit(settings.SITE_URL).netloc,
            use_https=settings.SITE_URL.startswith("https:"),
            email_template_name="registration/password_reset_email.html",
            subject_template_name="registration/password_reset_subject.txt",
            extra_email_context={"site_url": settings.SITE_URL},
        )


def queue_password_reset(email: str) -> None:
    """The worker looks the address up and sends, so that the page answers as fast for
    an address with an account as for one without, and says nothing either way. With
    the broker down, the email is sent here and now instead."""
    from patients.tasks import send_password_reset_email

    try:
        send_password_reset_email.delay(email)
    except Exception:
        log.exception("could not queue a password reset; sending it in the request")
        send_password_reset(email)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and a new password ends a lockout for that username: the person
    proved they own the account's email (clinicians still need their code)."""

    form_class = NewPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        reset_lockouts(username=form.user.get_username())
        return response


urlpatterns = [
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(success_url=reverse_lazy("password_reset_complete")),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
