"""Who may see what: every view fetches records through these helpers.

Patients see only their own records; clinicians only their teams' patients.
Anything else is a 404, never someone else's data.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import CheckIn, Patient


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


def get_own_check_in(user, pk: int) -> CheckIn:
    return get_object_or_404(CheckIn.objects.select_related("baseline"), pk=pk, patient__user=user)


def patient_required(view):
    """A view for patients: passes the patient record as the second argument."""

    @login_required
    def wrapper(request, *args, **kwargs):
        return view(request, patient_of(request.user), *args, **kwargs)

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
