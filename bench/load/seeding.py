"""The care team and patients the load scenario (run.py) and the HTTP bench
(bench/http_bench.py) both start from: a team with the demo's contact list, and
patients on the same treatment with the same usual. Needs Django set up (imported
by their seeding processes, never by Locust)."""

from datetime import timedelta

from alerts.management.commands.seed_demo import CONTACTS
from patients.models import Baseline, CareTeam, Contact, ContactHours, Patient, Treatment


def team_with_contacts(name: str) -> CareTeam:
    """A team in London with the demo's contact list, checked as an admin's would be."""
    team = CareTeam.objects.create(name=name, time_zone="Europe/London")
    for spec in CONTACTS:
        spec = dict(spec)
        hours = spec.pop("hours", [])
        contact = Contact.objects.create(team=team, **spec)
        for days, start, end in hours:
            ContactHours.objects.create(contact=contact, days=days, start=start, end=end)
    if team.contact_list_errors():
        raise SystemExit(f"the contact list of {name!r} is invalid: {team.contact_list_errors()}")
    return team


def patients_on_treatment(team, users, *, prefix: str, usual: dict, now) -> list[Patient]:
    """A patient of `team` for each user (hospital numbers `prefix`000000 on), each
    added 60 days ago, on pembrolizumab since 56 days ago (last dose a week ago), with
    `usual` as their baseline."""
    patients = Patient.objects.bulk_create(
        Patient(
            user=user,
            care_team=team,
            hospital_number=f"{prefix}{n:06d}",
            time_zone="Europe/London",
            created_at=now - timedelta(days=60),
        )
        for n, user in enumerate(users)
    )
    Treatment.objects.bulk_create(
        Treatment(
            patient=patient,
            kind="checkpoint_inhibitor",
            medicines="pembrolizumab",
            status="active",
            start_date=(now - timedelta(days=56)).date(),
            last_dose_date=(now - timedelta(days=7)).date(),
        )
        for patient in patients
    )
    Baseline.objects.bulk_create(
        Baseline(patient=patient, created_at=now - timedelta(days=56), **usual)
        for patient in patients
    )
    return patients
