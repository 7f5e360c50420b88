"""Invitations: a patient's first visit, and a carer's access.

A patient is invited to set a password by a link built like Django's password
reset link: it names the user and carries a token made from their password hash
and last login, so it stops working the moment it is used, and after
INVITATION_MAX_AGE_DAYS. A carer's link is signed and names the Carer row; it
works once (accepted_at), never after the patient withdraws it (revoked_at), and
only for the person it was sent to: an account with the invitation's email address
(patients.views.carers decides who that is).
"""

import smtplib

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.mail import BadHeaderError, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from base.validators import has_control_characters

from .models import Carer, Patient

MAX_AGE_SECONDS = settings.INVITATION_MAX_AGE_DAYS * 24 * 3600
CARER_SALT = "patients.carer-invitation"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """The password-reset token, with its own salt and a longer life.

    Django's check_token reads settings.PASSWORD_RESET_TIMEOUT (kept short for
    resets), so the age is checked here against the invitation's own limit.
    """

    key_salt = "patients.invitations.InvitationTokenGenerator"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - ts > MAX_AGE_SECONDS:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_tokens = InvitationTokenGenerator()


class NotSent(Exception):
    """The email could not be handed to the mail server; nothing else changed."""


def _send(subject: str, template: str, context: dict, to: str) -> None:
    # A name saved before names refused control characters (base/validators.py)
    # would break the header: each becomes a space.
    subject = "".join(" " if has_control_characters(c) else c for c in subject)
    try:
        send_mail(
            subject,
            render_to_string(template, context),
            settings.DEFAULT_FROM_EMAIL,
            [to],
        )
    except (smtplib.SMTPException, OSError, BadHeaderError) as exc:
        raise NotSent(str(exc)) from exc


def patient_invitation_url(patient: Patient) -> str:
    user = patient.user
    return settings.SITE_URL + reverse(
        "welcome",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )


def invite_patient(patient: Patient) -> None:
    """Email the patient a link to set their password. Raises NotSent."""
    if not patient.user.email:
        raise NotSent(f"{patient.name} has no email address.")
    _send(
        "Your symptom tracker account",
        "patients/email/patient_invitation.txt",
        {
            "patient": patient,
            "url": patient_invitation_url(patient),
            "days": settings.INVITATION_MAX_AGE_DAYS,
            "team": patient.care_team,
        },
        patient.user.email,
    )
    Patient.objects.filter(pk=patient.pk).update(invited_at=timezone.now())


def carer_invitation_url(carer: Carer) -> str:
    token = signing.dumps(carer.pk, salt=CARER_SALT)
    return settings.SITE_URL + reverse("patients:carer_accept", args=[token])


def invite_carer(carer: Carer) -> None:
    """Email the carer their link. Raises NotSent."""
    _send(
        f"{carer.patient.user.first_name or carer.patient.name} has invited you "
        "to their symptom tracker",
        "patients/email/carer_invitation.txt",
        {
            "carer": carer,
            "patient": carer.patient,
            "url": carer_invitation_url(carer),
            "days": settings.INVITATION_MAX_AGE_DAYS,
        },
        carer.email,
    )


def carer_for_token(token: str) -> tuple[Carer | None, str]:
    """The invitation a link names, and why it can no longer be accepted: "" while it
    can, else "invalid" (no such link: the Carer is None), "revoked", "accepted" or
    "expired", in that order (a link accepted and later withdrawn says withdrawn)."""
    expired = False
    try:
        pk = signing.loads(token, salt=CARER_SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        expired = True  # signed by us, only too old: say so, and for whom it was
        pk = signing.loads(token, salt=CARER_SALT)
    except signing.BadSignature:
        return None, "invalid"
    carer = (
        Carer.objects.select_related("patient__user", "patient__care_team").filter(pk=pk).first()
    )
    if carer is None:
        return None, "invalid"
    if carer.revoked_at:
        return carer, "revoked"
    if carer.accepted_at:
        return carer, "accepted"
    return carer, "expired" if expired else ""


def mask_email(email: str) -> str:
    """Enough of an address for its owner to know it, not enough for anyone else to
    learn it: eve2@example.org -> e***@e***.org."""
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}***@{host[:1]}***{dot}{tld}"
