"""Who may see or change what: the one rule book.

Every view, export, link and check fetches records through these functions, and
nothing else filters by team membership or by whose a record is:

- a patient sees and changes their own records;
- a carer sees one patient's records and checks in for them: the patient whose
  invitation they accepted, while it stands (a carer of several patients acts for
  the one they chose at home);
- a clinician (a member of a care team) sees the patients of their teams and all
  that is about them (check-ins, flags, episodes, alerts), their teams, and their
  teams' contact lists and figures; a team's coordinators edit its contact list;
- an admin (staff with the patients.change_contact permission) sees and edits every
  team's contact list and sees every team's figures. The Django admin is for staff,
  by their Django permissions, behind the same second factor.

Anything else is a 404, never someone else's data. Records of the apps above
patients (alerts, notifications) are reached through their patient: the caller
names the lookup from its rows to the patient (`for_clinician`).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Carer, CareTeam, CheckIn, Episode, Flag, Patient

EDITOR_ROLE = "coordinator"  # the members of a team who edit its contact list
MEMBER = "memberships__user"  # from a care team to the users on it
CARING_FOR = "caring_for"  # session key: the Carer link chosen by a carer of several patients


# Roles


def is_clinician(user) -> bool:
    """A member of a care team."""
    return user.is_authenticated and teams_of(user).exists()


def is_contact_admin(user) -> bool:
    """Staff who may edit any team's contact list."""
    return user.is_authenticated and user.is_staff and user.has_perm("patients.change_contact")


# Care teams


def teams_of(user):
    """The care teams the user is on."""
    if not user.is_authenticated:
        return CareTeam.objects.none()
    return CareTeam.objects.filter(**{MEMBER: user})


def teams_for_viewing(user):
    """The teams whose contact list and figures the user may see: their own; every
    team for an admin."""
    return CareTeam.objects.all() if is_contact_admin(user) else teams_of(user)


def teams_for_editing_contacts(user):
    """The teams whose contact list the user may change: the teams they coordinate;
    every team for an admin."""
    if is_contact_admin(user):
        return CareTeam.objects.all()
    return CareTeam.objects.filter(**{MEMBER: user, "memberships__role": EDITOR_ROLE})


def can_edit_contacts(user, team: CareTeam) -> bool:
    return teams_for_editing_contacts(user).filter(pk=team.pk).exists()


# A clinician's patients, and what is about them


def for_clinician(queryset, user, *, patient: str = ""):
    """The rows of `queryset` about the patients of the user's teams. `patient` is the
    lookup from a row to its patient: "" for patients, "check_in__patient" for flags,
    "alert__check_in__patient" for notifications."""
    path = f"{patient}__care_team" if patient else "care_team"
    return queryset.filter(**{f"{path}__{MEMBER}": user})


def for_teams(queryset, team_ids, *, patient: str = ""):
    """The rows of `queryset` about the patients of the care teams `team_ids`: what a
    record system's API client granted those teams reads (fhir.access). `patient` is
    the lookup from a row to its patient, as for `for_clinician`."""
    path = f"{patient}__care_team" if patient else "care_team"
    return queryset.filter(**{f"{path}__in": list(team_ids)})


def patients_for_clinician(user):
    return for_clinician(Patient.objects.all(), user)


def get_patient_for_clinician(user, pk: int) -> Patient:
    return get_object_or_404(
        patients_for_clinician(user).select_related("care_team", "user"), pk=pk
    )


def flags_for_clinician(user):
    return for_clinician(Flag.objects.all(), user, patient="check_in__patient")


def episodes_for_clinician(user):
    """The episodes of the patients of the user's teams, by the team each episode
    keeps (its patient's: Patient.save moves it with the patient). The teams are
    read first, so that the database meets a list of teams and reads a team's
    worklist from its index, in order."""
    teams = list(teams_of(user).values_list("pk", flat=True))
    return Episode.objects.filter(care_team__in=teams)


# A patient's own records


def patient_of(user) -> Patient:
    """The patient record of the logged-in user, or 404 for anyone else."""
    patient = _own_patient(None, user, None)
    if patient is None:
        raise Http404("This page is for patients.")
    return patient


def _own_patient(request, user, load) -> Patient | None:
    """The user's patient record in one query, or None: with its team and user, or
    as `load(request, patients)` reads it (a view that needs more of the record in
    the same query, such as the check-in's)."""
    if not user.is_authenticated:
        return None
    patients = Patient.objects.filter(user=user)
    if load is not None:
        return load(request, patients)
    return patients.select_related("care_team", "user").first()


def is_own_record(user, patient: Patient | int) -> bool:
    """Whether `patient` (a record or its id) is the user's own."""
    if isinstance(patient, Patient):
        return patient.user_id == user.pk
    return Patient.objects.filter(pk=patient, user=user).exists()


def get_check_in(patient: Patient, pk: int) -> CheckIn:
    """One of this patient's check-ins, or 404."""
    return get_object_or_404(CheckIn.objects.select_related("baseline"), pk=pk, patient=patient)


def get_question(patient: Patient, pk: int):
    """One of the questions in this patient's notebook, or 404."""
    return get_object_or_404(patient.questions, pk=pk)


def get_carer(patient: Patient, pk: int, *, pending: bool = False) -> Carer:
    """One of this patient's carers whose access stands (with `pending`, who has not
    accepted yet), or 404."""
    carers = patient.carers.pending() if pending else patient.carers.filter(revoked_at=None)
    return get_object_or_404(carers, pk=pk)


# Carers


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


def get_carer_link(user, pk: int) -> Carer:
    """One of this user's live carer links, or 404."""
    return get_object_or_404(Carer.objects.active(), pk=pk, user=user)


def carer_access_ended(user) -> bool:
    """Whether a patient took away this user's access as their carer."""
    return Carer.objects.filter(user=user, revoked_at__isnull=False).exists()


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


def accounts_only_caring_for(patient: Patient):
    """The accounts that are nothing but this patient's carers: not the patient, not
    staff, on no care team, caring for nobody else (erasure takes them along)."""
    others = Carer.objects.exclude(patient=patient).filter(user__isnull=False)
    return (
        get_user_model()
        .objects.filter(caring_for__patient=patient, patient__isnull=True)
        .filter(is_staff=False, is_superuser=False, team_memberships__isnull=True)
        .exclude(pk__in=others.values("user_id"))
    )


# Views


def _view(wrapper, view):
    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(wrapper)


def _as_patient(request, patient: Patient) -> Patient:
    """The patient acting as themselves: their pages show times in their own zone,
    read with their record (symptom_tracker.middleware reads nothing for them)."""
    request.user.patient = patient  # the menu asks user.patient: no second read
    timezone.activate(patient.tz)
    return patient


def _patient_page(wrapper, view):
    page = _view(wrapper, view)
    page.sets_patient_time_zone = True  # read by symptom_tracker.middleware
    return page


def patient_required(view=None, *, load=None):
    """A view for patients: passes the patient record as the second argument.

    `load(request, patients)`, if given, reads the record from the user's one-row
    queryset (None: not a patient), so that a view gets what it needs in one query.
    """
    if view is None:
        return lambda view: patient_required(view, load=load)

    def wrapper(request, *args, **kwargs):
        patient = _own_patient(request, request.user, load)
        if patient is None:
            raise Http404("This page is for patients.")
        return view(request, _as_patient(request, patient), *args, **kwargs)

    return _patient_page(wrapper, view)


def patient_or_carer(view=None, *, load=None):
    """A view for the patient or one of their carers: passes the patient record.

    `request.carer` is the Carer link when a carer is acting, otherwise None.
    A user with a patient record always acts as themselves. `load` as for
    `patient_required`; for a carer it reads the patient of their link.
    """
    if view is None:
        return lambda view: patient_or_carer(view, load=load)

    def wrapper(request, *args, **kwargs):
        patient = _own_patient(request, request.user, load)
        if patient is not None:
            request.carer = None
            return view(request, _as_patient(request, patient), *args, **kwargs)
        link = carer_link(request)
        if link is None:
            raise Http404("This page is for patients and their carers.")
        request.carer = link
        if load is not None:
            patient = load(request, Patient.objects.filter(pk=link.patient_id))
            if patient is None:
                raise Http404("This page is for patients and their carers.")
            link.patient = patient
        return view(request, link.patient, *args, **kwargs)

    return _patient_page(wrapper, view)


def clinician_required(view):
    """A view for members of a care team."""

    def wrapper(request, *args, **kwargs):
        if not is_clinician(request.user):
            raise Http404("This page is for care teams.")
        return view(request, *args, **kwargs)

    return _view(wrapper, view)
