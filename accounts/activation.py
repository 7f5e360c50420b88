"""Activation codes: what a clinician or admin needs, besides their password, to
set up their first authenticator app (accounts/two_factor.py).

Without one, whoever had someone's password could enrol their own phone as that
person's second factor, and so reach patients' records with the password alone.
So an admin (verified by their own second factor) issues a code in the admin, or
someone with the server issues one with `manage.py issue_two_factor_activation`:

1. `activation_issue` makes a random code, keeps only its SHA-256, and returns the
   code to be shown once; a newer code replaces any earlier unused one. It works
   for TWO_FACTOR_ACTIVATION_HOURS.
2. On the setup page the person types it in (`activation_check`): a wrong,
   expired or used code is refused with a message that says which, and an account
   may try TWO_FACTOR_ACTIVATION_TRIES_PER_HOUR codes an hour.
3. Only then is a new key shown, and the first right code from the app confirms
   the device and uses the activation (`activation_use`), once.

Issuing and using are written to the audit trail.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from base.throttle import limited_until
from patients import audit
from patients.access import is_clinician

from .models import TwoFactorActivation

# No 0/O, 1/I/L: the code is read off a screen and typed in, or read out.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP = 4, 4  # 16 characters: 79 bits

WRONG = (
    "That activation code is not right. Check it against the one your administrator "
    "gave you: 16 letters and digits (the dashes may be left out)."
)
EXPIRED = "That activation code has expired. Ask an administrator for a new one."
USED = "That activation code has been used already. Ask an administrator for a new one."
TOO_MANY = "Too many activation codes tried. Try again after {time}."


@dataclass(frozen=True)
class Issued:
    code: str  # shown once, never kept
    activation: TwoFactorActivation


def _normalised(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def code_hash(code: str) -> str:
    """SHA-256 of the code as typed, whatever its case and dashes. The code is random
    and long, so a plain hash is as good as a slow one here."""
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP))
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def _role(user) -> str:
    return "clinician" if is_clinician(user) else "admin"


@transaction.atomic
def activation_issue(*, user, issued_by=None, request=None, now=None) -> Issued:
    """A new activation code for `user`, replacing any earlier unused one (it expires
    now). `request` (the admin's) or `issued_by` says who issued it, for the trail;
    neither: the server's command line."""
    now = now or timezone.now()
    issued_by = request.user if request is not None else issued_by
    role = "admin" if issued_by is not None else "system"
    TwoFactorActivation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    code = _new_code()
    activation = TwoFactorActivation.objects.create(
        user=user,
        code_hash=code_hash(code),
        issued_by=issued_by,
        issued_at=now,
        expires_at=now + timedelta(hours=settings.TWO_FACTOR_ACTIVATION_HOURS),
    )
    detail = f"issued a two-factor activation code for {user.get_username()}"
    audit.record(
        request or issued_by,
        "created",
        None,
        obj=activation,
        detail=detail,
        role=role,
    )
    return Issued(code=code, activation=activation)


@dataclass(frozen=True)
class Checked:
    activation: TwoFactorActivation | None  # None: refused
    problem: str = ""  # what to tell the person when refused
    limited: bool = False  # refused for too many tries, right or wrong


def activation_check(*, user, code: str, now=None) -> Checked:
    """The activation when `code` is one of `user`'s, unused and unexpired; else why
    not. Each try counts towards the hourly limit of the account."""
    now = now or timezone.now()
    until = limited_until(
        "two-factor-activation",
        str(user.pk),
        limit=settings.TWO_FACTOR_ACTIVATION_TRIES_PER_HOUR,
        per=timedelta(hours=1),
        now=now,
    )
    if until is not None:
        return Checked(None, TOO_MANY.format(time=f"{timezone.localtime(until):%H:%M}"), True)
    activation = TwoFactorActivation.objects.filter(user=user, code_hash=code_hash(code)).first()
    if activation is None:
        return Checked(None, WRONG)
    if activation.used_at is not None:
        return Checked(None, USED)
    if activation.expires_at <= now:
        return Checked(None, EXPIRED)
    return Checked(activation)


def activation_usable(*, user, activation_id, now=None) -> TwoFactorActivation | None:
    """The activation `user` gave earlier in this session, if it is still unused and
    unexpired."""
    if activation_id is None:
        return None
    return TwoFactorActivation.objects.filter(
        pk=activation_id, user=user, used_at__isnull=True, expires_at__gt=now or timezone.now()
    ).first()


def activation_use(*, request, activation_id, now=None) -> bool:
    """Use the activation, once: False if it was used, or expired, meanwhile. Call it
    inside the transaction that confirms the device."""
    now = now or timezone.now()
    used = TwoFactorActivation.objects.filter(
        pk=activation_id, user=request.user, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not used:
        return False
    audit.record(
        request,
        "changed",
        None,
        obj=TwoFactorActivation(pk=activation_id),
        detail="used a two-factor activation code to set up an authenticator app",
        role=_role(request.user),
    )
    return True
