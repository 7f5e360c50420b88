"""Bounded reads for the FHIR resources: what the API, $everything and the bulk
export share.

Each function takes a queryset of patients (or one patient) and returns a queryset
whose rows carry every relation their builder in fhir/resources.py reads, through
select_related and prefetch_related, so that building N resources costs a fixed
number of queries, whatever N. Callers add their own filters, order and slices
(a page of a search, a chunk of an export) on top.
"""

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery

from alerts.models import Notification
from patients.models import CareTeam, CheckIn, Contact, Episode, Flag, Patient, TeamMembership


def _patient_ids(patients) -> QuerySet | list:
    """A Patient, a queryset of patients, or ids -> what `patient__in` takes."""
    if isinstance(patients, Patient):
        return [patients.pk]
    if isinstance(patients, QuerySet):
        return patients.values("pk")
    return list(patients)


def patients() -> QuerySet:
    """Patients with their account and team (patient_resource)."""
    return Patient.objects.select_related("user", "care_team")


def care_teams() -> QuerySet:
    """Care teams with their members and contact list (care_team_resource,
    practitioner_resource for members, organization_resource): three queries for any
    number of teams."""
    return CareTeam.objects.prefetch_related(
        Prefetch(
            "memberships",
            queryset=TeamMembership.objects.select_related("user").order_by("pk"),
        ),
        Prefetch(
            "contacts",
            queryset=Contact.objects.filter(active=True)
            .prefetch_related("hours")
            .order_by("order"),
        ),
    )


def care_teams_of(patients) -> QuerySet:
    return care_teams().filter(patients__in=_patient_ids(patients)).distinct()


def check_ins_of(patients) -> QuerySet:
    """Check-ins with what the QuestionnaireResponse and its Observations read: the
    patient and their account, the baseline judged against, who entered it."""
    return (
        CheckIn.objects.filter(patient__in=_patient_ids(patients))
        .select_related("patient__user", "baseline", "entered_by_user")
        .order_by("submitted_at", "pk")
    )


def episodes_of(patients) -> QuerySet:
    """Episodes (Flag resources)."""
    return (
        Episode.objects.filter(patient__in=_patient_ids(patients))
        .select_related("patient__user")
        .order_by("opened_at", "pk")
    )


def flags_of(patients) -> QuerySet:
    """Flag rows (DetectedIssue resources), with their check-in."""
    return (
        Flag.objects.filter(check_in__patient__in=_patient_ids(patients))
        .select_related("check_in")
        .order_by("created_at", "pk")
    )


def _acknowledged_at() -> Subquery:
    """For a notification (the OuterRef), when its alert was answered: the moment the
    last of its check-in's alerting flags was seen; NULL while one is unseen (as
    alerts.models.AlertQuerySet.with_answered_at, read here with the notification)."""
    flags = Flag.objects.filter(check_in=OuterRef("alert__check_in"), alerted=True)
    last = flags.with_seen().order_by(F("seen_at").desc(nulls_first=True))
    return Subquery(last.values("seen_at")[:1])


def notifications_of(patients) -> QuerySet:
    """Notifications (Communication resources), each with `acknowledged_at` read in the
    same query, its alert, check-in, patient and contact joined, and the contact's
    hours and the check-in's flags prefetched (two more queries)."""
    return (
        Notification.objects.filter(alert__check_in__patient__in=_patient_ids(patients))
        .select_related("alert__check_in__patient", "contact")
        .prefetch_related(
            "contact__hours",
            Prefetch("alert__check_in__flags", queryset=Flag.objects.order_by("pk")),
        )
        .annotate(acknowledged_at=_acknowledged_at())
        .order_by("created_at", "pk")
    )
