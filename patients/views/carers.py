"""Carers: the patient invites, sends again and withdraws; the carer accepts, with an
account of their own or the one they are logged in with."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from base.throttle import limited_until

from .. import audit
from ..access import CARING_FOR, get_carer, is_clinician, patient_required
from ..forms.carers import CarerAccountForm, CarerInviteForm, email_taken
from ..invitations import NotSent, carer_for_token, invite_carer
from ..models import Carer

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _invitations_limited_until(patient):
    """Counts one more carer invitation email for the patient: None within the day's
    limit, else when more may be sent."""
    return limited_until(
        "carer-invitation",
        str(patient.pk),
        limit=settings.CARER_INVITATIONS_PER_DAY,
        per=timedelta(days=1),
    )


def _too_many_invitations(until) -> str:
    return (
        f"You have sent {settings.CARER_INVITATIONS_PER_DAY} invitation emails today, "
        "as many as we send in a day, so this one has not been sent. Please try again "
        f"after {timezone.localtime(until):%H:%M on %A %-d %B}."
    )


@patient_required
def carers(request, patient):
    form = CarerInviteForm(request.POST or None, patient=patient)
    if request.method != "POST" or not form.is_valid():
        return _carers_page(request, patient, form)
    if until := _invitations_limited_until(patient):
        form.add_error(None, _too_many_invitations(until))
        return _carers_page(request, patient, form, status=429)
    try:
        with transaction.atomic():
            carer = form.save(commit=False)
            carer.patient = patient
            carer.save()
            audit.record(request, "carer_invited", patient, obj=carer)
            invite_carer(carer)  # nothing is kept if the email cannot be sent
    except NotSent:
        messages.error(
            request,
            "We could not send the email just now, so nothing has been saved. "
            "Please try again later.",
        )
        return _carers_page(request, patient, form)
    except IntegrityError:
        messages.info(request, "This person has already been invited.")
    else:
        messages.success(
            request,
            f"We have emailed {carer.name} a link. Once they accept it they can see "
            "who to contact, your advice and your check-ins, and check in for you.",
        )
    return redirect("patients:carers")


def _carers_page(request, patient, form, status=200):
    return render(
        request,
        "patients/carers.html",
        {"form": form, "carers": patient.carers.select_related("user"), "patient": patient},
        status=status,
    )


@patient_required
@require_POST
def carer_resend(request, patient, pk):
    carer = get_carer(patient, pk, pending=True)
    if until := _invitations_limited_until(patient):
        messages.error(request, _too_many_invitations(until))
        return redirect("patients:carers")
    try:
        invite_carer(carer)
    except NotSent:
        messages.error(request, "We could not send the email just now. Please try again later.")
    else:
        Carer.objects.filter(pk=carer.pk).update(invited_at=timezone.now())
        messages.success(request, f"We have emailed {carer.name} a new link.")
    return redirect("patients:carers")


@patient_required
@require_POST
def carer_revoke(request, patient, pk):
    carer = get_carer(patient, pk)
    revoked = Carer.objects.filter(pk=carer.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(request, "carer_revoked", patient, obj=carer)
    messages.success(
        request,
        f"{carer.name} can no longer see your records or check in for you. "
        "Their invitation link no longer works.",
    )
    return redirect("patients:carers")


def carer_accept(request, token):
    """A carer's invitation link: create an account (or use the one logged in) and accept."""
    carer = carer_for_token(token)
    if carer is None:
        return _problem(request, "invalid")
    context = {"carer": carer, "patient": carer.patient}
    user = request.user
    if user.is_authenticated:
        if hasattr(user, "patient") or is_clinician(user):
            return _problem(request, "wrong_account", context)
        if request.method != "POST":
            return render(request, "patients/carer_accept.html", {**context, "confirm": True})
        if not _claim(carer, user):
            return _problem(request, "invalid")
        return _accepted(request, carer)
    if email_taken(carer.email):
        login_url = f"{reverse('login')}?next={request.path}"
        return render(request, "patients/carer_accept.html", {**context, "log_in_first": login_url})
    form = CarerAccountForm(request.POST or None, carer=carer)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.create_user()
                if not _claim(carer, user):
                    raise _Gone
        except _Gone:
            return _problem(request, "invalid")
        except IntegrityError:  # the same address registered a moment ago
            return redirect(request.path)
        login(request, user, backend=BACKEND)
        return _accepted(request, carer)
    return render(request, "patients/carer_accept.html", {**context, "form": form})


class _Gone(Exception):
    """The invitation was withdrawn or accepted elsewhere while the form was open."""


def _claim(carer, user) -> bool:
    """Accept the invitation once: a conditional update, so two tabs cannot both."""
    return bool(
        Carer.objects.pending().filter(pk=carer.pk).update(user=user, accepted_at=timezone.now())
    )


def _problem(request, problem, context=None):
    return render(
        request, "patients/carer_accept.html", {**(context or {}), "problem": problem}, status=400
    )


def _accepted(request, carer):
    audit.record(request, "carer_accepted", carer.patient, obj=carer, role="carer")
    request.session[CARING_FOR] = carer.pk  # act for the patient who just invited them
    messages.success(
        request,
        f"You can now see {carer.patient.user.first_name or carer.patient.name}'s contacts, "
        "advice and check-ins, and check in for them.",
    )
    return redirect("patients:home")
