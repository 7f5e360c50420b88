"""Who may see what: every view fetches records through these helpers.

Patients see only their own records; carers only the parts of one patient's
records they were invited to, while the invitation stands; clinicians only their
teams' patients.
Anything else is a 404, never someone else's data.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Carer, CheckIn, Patient


def is_clinician(user) -> bool:
    return user.is_authenticated and user.team_memberships.exists()


def patient_of(user) -> Patient:
    """The patient record of the logged-in user, or 404 for anyone else."""
    try:
        return Patient.objects.select_related("care_team", "user").get(user=user)
    except Patient.DoesNotExist:
        raise Http404("This page is for patients.") from None


def patients_for_clinician(user):
    return Patient.objects.filter(care_team__memberships__user=user)


def get_patient_for_clinician(user, pk: int) -> Patient:
    return get_object_or_404(
        patients_for_clinician(user).select_related("care_team", "user"), pk=pk
    )


def get_check_in(patient: Patient, pk: int) -> CheckIn:
    """One of this patient's check-ins, or 404."""
    return get_object_or_404(CheckIn.objects.select_related("baseline"), pk=pk, patient=patient)


def cared_for(user) -> list[Carer]:
    """The carer links through which this user may act, with their patients."""
    if not user.is_authenticated:
        return []
    return list(
        Carer.objects.active()
        .filter(user=user)
        .select_related("patient__care_team", "patient__user")
        .order_by("patient__user__first_name", "pk")
    )


CARING_FOR = "caring_for"  # session key: the Carer link chosen by a carer of several patients


def carer_link(request) -> Carer | None:
    """The live carer link the request acts through, or None.

    Checked on every request, so access ends the moment the patient revokes it.
    A carer of one patient needs no choice; a carer of several picks one at home.
    """
    links = cared_for(request.user)
    chosen = request.session.get(CARING_FOR)
    for link in links:
        if link.pk == chosen:
            return link
    return links[0] if len(links) == 1 else None


def patient_required(view):
    """A view for patients: passes the patient record as the second argument."""

    @login_required
    def wrapper(request, *args, **kwargs):
        return view(request, patient_of(request.user), *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def patient_or_carer(view):
    """A view for the patient or one of their carers: passes the patient record.

    `request.carer` is the Carer link when a carer is acting, otherwise None.
    A user with a patient record always acts as themselves.
    """

    @login_required
    def wrapper(request, *args, **kwargs):
        if hasattr(request.user, "patient"):
            request.carer = None
            return view(request, patient_of(request.user), *args, **kwargs)
        link = carer_link(request)
        if link is None:
            raise Http404("This page is for patients and their carers.")
        request.carer = link
        return view(request, link.patient, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def clinician_required(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_clinician(request.user):
            raise Http404("This page is for care teams.")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper
