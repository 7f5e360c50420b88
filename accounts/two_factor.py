"""The second factor for clinicians and admins: a code from an authenticator app.

Patients and carers sign in with a password. Anyone who can see other people's
records (a member of a care team, or staff, who reach the admin) must also give
a TOTP code (django_otp.plugins.otp_totp) once per login:

1. After the password, every page but these (the second-factor pages, logging
   out, password reset, the health check) redirects to `verify`, which comes
   back to the page asked for.
2. Someone with no confirmed device is sent to `setup`, which first asks for an
   activation code an admin issued (accounts/activation.py): a password alone
   never adds a device. Then a new secret, shown as text and as a QR code drawn
   here as inline SVG (segno; no external image), confirmed with a first code,
   which uses the activation. Someone who has a device can only verify with it.
3. A right code marks the session verified (django_otp.login); OTPMiddleware
   reads that back on each request as `request.user.is_verified()`.

Wrong codes slow down (django-otp's throttling doubles the wait after each one).
Wrong activation codes are limited an hour per account. Someone who loses their
phone has the device deleted in the admin by an admin, who issues them an
activation code for the new one.
"""

import math
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.access import is_clinician

from .activation import activation_check, activation_usable, activation_use
from .forms import ActivationForm, CodeForm

# Views anyone logged in may reach before the second factor.
OPEN_VIEWS = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "health",
    "set_language",
    "set_text_size",
    "two_factor:verify",
    "two_factor:setup",
}


def needs_second_factor(user) -> bool:
    """Clinicians (members of a care team) and staff."""
    return user.is_authenticated and (user.is_staff or user.is_superuser or is_clinician(user))


def second_factor_required(request) -> bool:
    """needs_second_factor for the request's user, worked out once a request (and
    with no query for a session verified already: only they set up a device)."""
    if not hasattr(request, "_second_factor_required"):
        user = request.user
        verified = user.is_authenticated and getattr(user, "otp_device", None) is not None
        request._second_factor_required = verified or needs_second_factor(user)
    return request._second_factor_required


# Session key: the activation code given on the setup page, until the app is confirmed.
ACTIVATION = "two_factor_activation"


def is_background(request) -> bool:
    """The triage queue's refresh (static/js/queue.js): fetched, never shown as a page."""
    return bool(request.GET.get("partial"))


class SecondFactorMiddleware:
    """Sends a clinician or admin who has not given a code this session to `verify`.

    Installed after OTPMiddleware (which sets `user.is_verified`). It acts in
    process_view, once the URL is resolved, so that the open views are known by
    name; nothing else runs for such a user, so no patient data is reached.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified() or not second_factor_required(request):
            return None
        if request.resolver_match.view_name in OPEN_VIEWS:
            return None
        if is_background(request):
            # A page's background refresh: it reloads, and that page comes here.
            return HttpResponse("Two-factor authentication needed.", status=401)
        return redirect(with_next(reverse("two_factor:verify"), request.get_full_path()))


def with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def next_url(request) -> str:
    """Where to go after the second factor: `next` if it is ours, else home."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


WRONG_CODE = (
    "That code is not right, or it has expired. Enter the code your app shows now "
    "(if it is always wrong, check the time on your phone is set automatically)."
)
TOO_MANY = "Too many wrong codes: wait {seconds} seconds, then enter the code your app shows then."


def check_code(device, code: str) -> str | None:
    """None if the code is right for the device, else what to tell the person.

    The device row is locked while its code is checked, so that a code is used once
    and django-otp's throttling counts every wrong one."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, why = device.verify_is_allowed()
        if not allowed:
            wait = (why or {}).get("locked_until", timezone.now()) - timezone.now()
            return TOO_MANY.format(seconds=max(1, math.ceil(wait.total_seconds())))
        return None if device.verify_token(code) else WRONG_CODE


def verified(request, device):
    """Mark the session verified by `device`, under a new session key (the session
    now opens more than it did, as at login)."""
    otp_login(request, device)
    request.session.cycle_key()


@sensitive_post_parameters("code")
@never_cache
@login_required
def verify(request):
    """Enter the current code of the app set up before."""
    done = next_url(request)
    if not second_factor_required(request) or request.user.is_verified():
        return redirect(done)
    device = confirmed_device(request.user)
    if device is None:
        return redirect(with_next(reverse("two_factor:setup"), done))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = check_code(device, form.cleaned_data["code"])
        if problem is None:
            verified(request, device)
            return redirect(done)
        form.add_error("code", problem)
    return render(request, "two_factor/verify.html", {"form": form, "next": done})


@sensitive_post_parameters("code", "activation")
@never_cache
@login_required
def setup(request):
    """Set up an authenticator app: an activation code from an admin, then the app's
    secret, as a QR code and as text, then a first code from the app."""
    done = next_url(request)
    if not second_factor_required(request) or request.user.is_verified():
        return redirect(done)
    if confirmed_device(request.user) is not None:
        return redirect(with_next(reverse("two_factor:verify"), done))
    activation = activation_usable(user=request.user, activation_id=request.session.get(ACTIVATION))
    if activation is None:
        return activate(request, done)
    # The same secret until it is confirmed, so that reloading the page keeps it.
    unconfirmed = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk")
    device = unconfirmed.first() or TOTPDevice.objects.create(
        user=request.user, confirmed=False, name="Authenticator app"
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = check_code(device, form.cleaned_data["code"])
        if problem is None:
            with transaction.atomic():
                if not activation_use(request=request, activation_id=activation.pk):
                    # Used or replaced since it was given: ask for one again.
                    return redirect(with_next(reverse("two_factor:setup"), done))
                TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
            device.refresh_from_db()
            request.session.pop(ACTIVATION, None)
            verified(request, device)
            messages.success(
                request, "Two-factor authentication is set up: you will need a code each time."
            )
            return redirect(done)
        form.add_error("code", problem)
    return render(
        request,
        "two_factor/setup.html",
        {
            "form": form,
            "next": done,
            "secret": spaced(secret_of(device)),
            "qr_svg": qr_svg(device.config_url),
        },
    )


def activate(request, done):
    """The setup page's first step: the activation code an admin gave. A right one
    makes a new secret (any shown before it was given no longer counts) and shows it."""
    # A code from the app posted after the activation went (replaced, expired) is
    # not an activation code: the form is shown afresh.
    form = ActivationForm(request.POST if "activation" in request.POST else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        checked = activation_check(user=request.user, code=form.cleaned_data["activation"])
        if checked.activation is not None:
            with transaction.atomic():
                TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
                TOTPDevice.objects.create(
                    user=request.user, confirmed=False, name="Authenticator app"
                )
            request.session[ACTIVATION] = checked.activation.pk
            return redirect(with_next(reverse("two_factor:setup"), done))
        form.add_error("activation", checked.problem)
        status = 429 if checked.limited else 200
    return render(request, "two_factor/activate.html", {"form": form, "next": done}, status=status)


def secret_of(device) -> str:
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def spaced(secret: str) -> str:
    """Groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """The otpauth URI as a QR code, inline SVG markup (no style attributes, no images)."""
    code = segno.make(uri, error="m")
    label = "QR code for your authenticator app"
    svg = code.svg_inline(
        border=4, dark="#000", light="#fff", svgclass="qr-code", title=label, omitsize=True
    )
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return mark_safe(svg)  # noqa: S308 - segno's own markup of our URI
