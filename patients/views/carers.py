"""Carers: the patient invites, sends again and withdraws; the person invited accepts,
with a new account for the invitation's email address or the account with that
address they are logged in with."""

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
from ..invitations import NotSent, carer_for_token, invite_carer, mask_email
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
    """A carer's invitation link, for the person it was sent to and nobody else: an
    account with the invitation's email address accepts it (logged in first), or
    someone without one makes it here, for that address. Anyone else logged in is told
    that it was sent to someone else and may log out; nothing changes for them."""
    carer, problem = carer_for_token(token)
    user = request.user
    if carer is not None and user.is_authenticated:
        # Whom it is for comes first: someone else learns nothing of its state.
        problem = _why_not(user, carer) or problem
    if problem:
        return _problem(request, problem, carer)
    context = {"carer": carer, "patient": carer.patient}
    if user.is_authenticated:
        if request.method != "POST":
            return render(request, "patients/carer_accept.html", {**context, "confirm": True})
        if not _claim(carer, user):
            return _gone(request, token)
        return _accepted(request, carer)
    if email_taken(carer.email):
        login_url = f"{reverse('login')}?next={request.path}"
        return render(
            request,
            "patients/carer_accept.html",
            {**context, "log_in_first": login_url, "masked_email": mask_email(carer.email)},
        )
    form = CarerAccountForm(request.POST or None, carer=carer)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.create_user()
                if not _claim(carer, user):
                    raise _Gone
        except _Gone:
            return _gone(request, token)
        except IntegrityError:  # the same address registered a moment ago
            return redirect(request.path)
        login(request, user, backend=BACKEND)
        return _accepted(request, carer)
    return render(request, "patients/carer_accept.html", {**context, "form": form})


def _why_not(user, carer) -> str:
    """Why this logged-in account may not accept the invitation, or "" if it may.

    The invitation is for its email address (in any case), so the account must have
    that address. Even then a patient, a clinician or staff never becomes a carer: a
    patient always acts as themselves (access.patient_or_carer), and the other two
    must not be given a patient's record through a link."""
    if user.pk == carer.patient.user_id:
        return "own_invitation"
    if (user.email or "").strip().lower() != carer.email.strip().lower():
        return "someone_else"
    if user.is_staff or user.is_superuser or is_clinician(user) or hasattr(user, "patient"):
        return "cannot_be_carer"
    return ""


class _Gone(Exception):
    """The invitation was withdrawn or accepted elsewhere while the form was open."""


def _claim(carer, user) -> bool:
    """Accept the invitation once: a conditional update, so two tabs cannot both."""
    return bool(
        Carer.objects.pending().filter(pk=carer.pk).update(user=user, accepted_at=timezone.now())
    )


def _gone(request, token):
    """The invitation was accepted or withdrawn while the page was open: say which."""
    carer, problem = carer_for_token(token)
    return _problem(request, problem or "invalid", carer)


def _problem(request, problem, carer=None):
    """The page that says why this link cannot be accepted here. Someone logged in
    whom it was not sent to sees neither the patient's name nor the whole address."""
    context = {"problem": problem, "carer": carer}
    if carer is not None:
        context |= {"patient": carer.patient, "masked_email": mask_email(carer.email)}
    return render(request, "patients/carer_accept.html", context, status=400)


def _accepted(request, carer):
    audit.record(request, "carer_accepted", carer.patient, obj=carer, role="carer")
    request.session[CARING_FOR] = carer.pk  # act for the patient who just invited them
    messages.success(
        request,
        f"You can now see {carer.patient.user.first_name or carer.patient.name}'s contacts, "
        "advice and check-ins, and check in for them.",
    )
    return redirect("patients:home")
