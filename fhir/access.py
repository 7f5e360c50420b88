"""What an API client may read: the patients of the care teams its access names, and
what is about them (patients.access.for_teams, the one rule book's rule for a
record system), the teams themselves and their members. A row outside them is
answered as a row that does not exist (404), so that ids cannot be probed."""

from django.contrib.auth import get_user_model

from alerts.models import Notification
from patients.access import for_teams
from patients.models import CareTeam, CheckIn, Episode, Flag, Patient


def patients(client):
    return for_teams(Patient.objects.all(), client.team_ids)


def check_ins(client):
    return for_teams(CheckIn.objects.all(), client.team_ids, patient="patient")


def episodes(client):
    return for_teams(Episode.objects.all(), client.team_ids, patient="patient")


def flags(client):
    return for_teams(Flag.objects.all(), client.team_ids, patient="check_in__patient")


def notifications(client):
    return for_teams(
        Notification.objects.all(), client.team_ids, patient="alert__check_in__patient"
    )


def teams(client):
    return CareTeam.objects.filter(pk__in=client.team_ids)


def practitioners(client):
    """The members of the client's teams (a clinician who entered a check-in by phone
    is one of the patient's team)."""
    members = get_user_model().objects.filter(team_memberships__team__in=client.team_ids)
    return get_user_model().objects.filter(pk__in=members.values("pk"))
