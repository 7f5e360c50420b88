"""The pages of getting in: the lockout page, password reset, and a patient's
invitation link. The login page is Django's (with LoginForm); django-axes counts
its failures (settings: AXES_*). Five wrong passwords for one username from one
client (an IPv4 address, or an IPv6 /64: base.client_address.client_network) lock
that pair out for AXES_COOLOFF_TIME, a right password included; the page says
until when, and what to do meanwhile if the person is unwell.
"""

import logging
from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as reset_lockouts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone

from base.client_address import client_network
from base.throttle import limited_until
from patients.invitations import invitation_tokens

from .forms import NewPasswordForm
from .passwords import same_address, send_password_reset
from .tasks import password_reset_accounts, send_password_reset_email

log = logging.getLogger(__name__)

BACKEND = "django.contrib.auth.backends.ModelBackend"


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
            client_network(self.request) or "unknown",
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


def queue_password_reset(email: str) -> None:
    """The worker looks the address up and sends, so that the page answers as fast for
    an address with an account as for one without, and says nothing either way. With
    the broker down, the email is sent here and now instead."""
    try:
        send_password_reset_email.delay(password_reset_accounts(email))
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


class Welcome(auth_views.PasswordResetConfirmView):
    """The invitation link: the patient chooses a password and is logged in.

    Django's reset view, with the invitation's token (patients/invitations.py): it
    moves the token out of the address into the session before showing the form,
    and the token stops working once the password is set.
    """

    token_generator = invitation_tokens
    form_class = NewPasswordForm
    template_name = "registration/welcome_password.html"
    post_reset_login = True
    post_reset_login_backend = BACKEND
    success_url = reverse_lazy("patients:first_visit")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and hasattr(user, "patient") else None

    def form_valid(self, form):
        messages.success(self.request, "Your password is set. Welcome.")
        return super().form_valid(form)
