"""Demo data for `make run`: one care team, a nurse, an admin, two patients."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from alerts import services as alert_services
from alerts.models import CareTeam, Contact, ContactHours, TeamMembership
from patients.models import Baseline, CheckIn, Patient, Treatment

PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo; never a real deployment
TEAM = "Immunotherapy Unit, St Catherine's Hospital"

CONTACTS = [
    dict(
        order=1,
        name="Immunotherapy nurse specialist",
        role="Clinical nurse specialist team",
        phone="020 7946 0101",
        email="cns-team@example.org",
        sms_number="+447700900101",
        handles_amber=True,
        handles_red=True,
        when_to_call="Weekdays 9am to 5pm.",
        hours=[("mon-fri", "09:00", "17:00")],
    ),
    dict(
        order=2,
        name="Acute oncology 24-hour line",
        role="Acute oncology service",
        phone="020 7946 0999",
        email="aos-hotline@example.org",
        sms_number="+447700900999",
        handles_amber=True,
        handles_red=True,
        always_on_duty=True,
        when_to_call="Any time, day or night, including weekends.",
    ),
    dict(
        order=3,
        name="On-call oncology registrar",
        role="Oncology registrar on call",
        phone="020 7946 0300",
        email="onc-oncall@example.org",
        sms_number="+447700900300",
        handles_red=True,
        always_on_duty=True,
        when_to_call="Reached through the 24-hour line if it cannot take your call.",
    ),
]

# (username, first, last, hospital number, baseline, daily answers, today's answers)
PATIENTS = [
    (
        "alice",
        "Alice",
        "Morgan",
        "RXH1000001",
        dict(stools_per_day=1, fatigue=1, wellbeing=8, joint_pain=1, itching=0),
        dict(stools_per_day=1, fatigue=1, wellbeing=8, joint_pain=1),
        None,
    ),
    (
        "bob",
        "Robert",
        "Okafor",
        "RXH1000002",
        dict(stools_per_day=1, fatigue=1, wellbeing=7, abdominal_pain=0, cough=1),
        dict(stools_per_day=1, fatigue=2, wellbeing=7, cough=1),
        dict(
            stools_per_day=7, abdominal_pain=2, fatigue=2, wellbeing=4, stool_blood_or_mucus=False
        ),
    ),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent): a care team, a nurse, an admin, two patients."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        if CareTeam.objects.filter(name=TEAM).exists():
            self.stdout.write("Demo data already loaded.")
            self._print_logins()
            return
        team = CareTeam.objects.create(name=TEAM, time_zone="Europe/London")
        for spec in CONTACTS:
            spec = dict(spec)
            hours = spec.pop("hours", [])
            contact = Contact.objects.create(team=team, **spec)
            for days, start, end in hours:
                ContactHours.objects.create(contact=contact, days=days, start=start, end=end)

        nurse = User.objects.create_user(
            "nurse", "nurse@example.org", PASSWORD, first_name="Nadia", last_name="Hughes"
        )
        TeamMembership.objects.create(team=team, user=nurse, role="nurse")
        User.objects.create_superuser(
            "admin", "admin@example.org", PASSWORD, first_name="Adam", last_name="Reid"
        )

        now = timezone.now()
        for username, first, last, number, baseline, usual, today in PATIENTS:
            user = User.objects.create_user(
                username, f"{username}@example.org", PASSWORD, first_name=first, last_name=last
            )
            patient = Patient.objects.create(
                user=user, care_team=team, hospital_number=number, time_zone="Europe/London"
            )
            Treatment.objects.create(
                patient=patient,
                kind="checkpoint_inhibitor",
                medicines="pembrolizumab",
                status="active",
                start_date=(now - timedelta(days=63)).date(),
                last_dose_date=(now - timedelta(days=12)).date(),
            )
            base = Baseline.objects.create(
                patient=patient, created_at=now - timedelta(days=63), **baseline
            )
            for days_ago in range(7, 0, -1):
                at = now - timedelta(days=days_ago, hours=1)
                self._check_in(patient, base, at, usual)
            if today:
                self._check_in(patient, base, now - timedelta(minutes=20), today)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_logins()

    def _check_in(self, patient, baseline, at, answers):
        check_in = CheckIn(
            patient=patient,
            baseline=baseline,
            submitted_at=at,
            local_date=patient.local_date(at),
            entered_by="patient",
            entered_by_user=patient.user,
            **answers,
        )
        check_in.urgency = alert_services.evaluate(check_in).urgency
        check_in.save()
        # The worker's job, done here so that the demo starts with its flags and
        # alerts; delivery is queued on commit for the worker to pick up.
        alert_services.flag_check_in(check_in.pk, now=at)

    def _print_logins(self):
        self.stdout.write(
            f"\nDemo logins (password for all: {PASSWORD})\n"
            "  patient  alice  (baseline 1 stool a day; try a check-in with 9 stools)\n"
            "  patient  bob    (has an open red flag)\n"
            "  nurse    nurse  (triage queue)\n"
            "  admin    admin  (Django admin: teams, contacts, patients)\n"
            "Open http://127.0.0.1:8000/\n"
        )
