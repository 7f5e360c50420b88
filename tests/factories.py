"""Factories for the tests: users, care teams with realistic contact lists, patients."""

from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from alerts.models import Alert
from patients.models import (
    Acknowledgement,
    Baseline,
    CareTeam,
    CheckIn,
    Contact,
    ContactHours,
    Episode,
    Flag,
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


def make_flag(
    check_in,
    symptom="stools_per_day",
    urgency="red",
    *,
    rule="R2",
    explanation=None,
    episode=None,
    status="open",
    created_at=None,
    acknowledged_at=None,
    acknowledged_by=None,
    resolved_at=None,
    resolved_by=None,
    resolution_note="",
    **fields,
) -> Flag:
    """A flag as the worker would have written it, in the state a clinician left it.

    Without `episode`, the flag joins its symptom's episode that is not resolved, or
    opens one, as the worker does. The state given is its episode's
    (patients/models/episodes.py): acknowledged with an Acknowledgement (at
    `acknowledged_at`, by `acknowledged_by`, both needed), resolved with the
    episode's resolution.
    """
    created_at = created_at or check_in.submitted_at
    if episode is None:
        episode = Episode.objects.filter(
            patient_id=check_in.patient_id, symptom=symptom, status__in=["open", "acknowledged"]
        ).first() or Episode.objects.create(
            patient_id=check_in.patient_id, symptom=symptom, urgency=urgency, opened_at=created_at
        )
    flag = Flag.objects.create(
        check_in=check_in,
        episode=episode,
        symptom=symptom,
        urgency=urgency,
        rule=rule,
        explanation=explanation or f"{symptom} is worse",
        created_at=created_at,
        **fields,
    )
    # As the worker keeps them (Episode.took), for flags made in any order here.
    episode.latest_flag = episode.flags.order_by("-created_at", "-pk").first()
    episode.flag_count = episode.flags.count()
    episode.save(update_fields=["latest_flag", "flag_count"])
    if acknowledged_at is not None:
        Acknowledgement.objects.create(
            episode=episode, last_flag=flag, at=acknowledged_at, by=acknowledged_by
        )
    if status != "open" or resolution_note:
        Episode.objects.filter(pk=episode.pk).update(
            status=status,
            resolved_at=resolved_at,
            resolved_by=resolved_by,
            resolution_note=resolution_note,
        )
        flag.episode.refresh_from_db()
    return flag


def escalates(alert) -> bool:
    """Whether the alert still escalates: one of the flags it raised is unseen."""
    return Alert.objects.unanswered().filter(pk=alert.pk).exists()


def statuses(flags) -> set[str]:
    """The statuses of some flags, as their episodes give them."""
    return {flag.status for flag in flags.select_related("episode")}
