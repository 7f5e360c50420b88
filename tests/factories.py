"""Factories for the tests: users, care teams with realistic contact lists, patients."""

from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from patients.models import (
    Baseline,
    CareTeam,
    CheckIn,
    Contact,
    ContactHours,
    Patient,
    TeamMembership,
    Treatment,
)

PASSWORD = "correct-horse-battery"


# Names no test looks for. Faker's were random, so a test checking that "Morgan"
# or "Alice" appears nowhere failed now and then when Faker drew one of them.
FIRST_NAMES = ["Ysolde", "Thaddeus", "Wilhelmina", "Ignatius", "Perpetua", "Lysander", "Griselda"]
LAST_NAMES = ["Quenby", "Fairweather", "Ashdown", "Thistlewood", "Marchbanks", "Pennyfeather"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: FIRST_NAMES[n % len(FIRST_NAMES)])
    last_name = factory.Sequence(lambda n: LAST_NAMES[n % len(LAST_NAMES)])
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeam

    name = factory.Sequence(lambda n: f"Immunotherapy team {n}")
    time_zone = "Europe/London"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    team = factory.SubFactory(CareTeamFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    phone = "020 7946 0000"
    email = factory.LazyAttribute(lambda c: f"{c.name.lower().replace(' ', '.')}@example.org")
    sms_number = "+447700900000"
    handles_amber = True
    handles_red = True
    order = factory.Sequence(lambda n: n + 1)


def london_contact_list(team: CareTeam) -> dict[str, Contact]:
    """The vignettes' contact list: a weekday nurse, a 24-hour line, a registrar."""
    nurse = ContactFactory(
        team=team,
        name="Immunotherapy nurse specialist",
        order=1,
        email="cns@example.org",
        sms_number="+447700900101",
        phone="020 7946 0101",
    )
    ContactHours.objects.create(contact=nurse, days="mon-fri", start="09:00", end="17:00")
    line = ContactFactory(
        team=team,
        name="Acute oncology 24-hour line",
        order=2,
        always_on_duty=True,
        email="aos@example.org",
        sms_number="+447700900999",
        phone="020 7946 0999",
    )
    registrar = ContactFactory(
        team=team,
        name="On-call oncology registrar",
        order=3,
        always_on_duty=True,
        handles_amber=False,
        email="registrar@example.org",
        sms_number="+447700900300",
        phone="020 7946 0300",
    )
    return {"nurse": nurse, "line": line, "registrar": registrar}


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory)
    care_team = factory.SubFactory(CareTeamFactory)
    hospital_number = factory.Sequence(lambda n: f"H{n:07d}")
    time_zone = "Europe/London"


class TreatmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Treatment

    patient = factory.SubFactory(PatientFactory)
    kind = "checkpoint_inhibitor"
    medicines = "pembrolizumab"
    start_date = factory.LazyFunction(lambda: date.today() - timedelta(days=60))
    last_dose_date = factory.LazyFunction(lambda: date.today() - timedelta(days=10))


class BaselineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Baseline

    patient = factory.SubFactory(PatientFactory)
    stools_per_day = 1
    fatigue = 1
    wellbeing = 8
    joint_pain = 0


def make_check_in(patient, *, at=None, baseline="active", **answers) -> CheckIn:
    """A saved check-in as the patient's form would make it (not yet evaluated)."""
    at = at or timezone.now()
    return CheckIn.objects.create(
        patient=patient,
        baseline=patient.active_baseline if baseline == "active" else baseline,
        submitted_at=at,
        local_date=patient.local_date(at),
        entered_by="patient",
        entered_by_user=patient.user,
        **answers,
    )


def add_member(team, user, role="nurse"):
    return TeamMembership.objects.create(team=team, user=user, role=role)
