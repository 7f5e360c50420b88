"""Everyone the access matrix and the leak-marker test ask as, and what they own.

One `World` per test: two care teams; alice (a patient) and bob (a patient of the
other team), each with a full record (a flagged check-in, its alert and
notifications, a question with an answer, a carer, a team's action note); cara,
alice's carer; rex, whose access alice removed; dora, bob's carer; nadia, a nurse of
alice's team; olga, a nurse of the other team; colin, the coordinator of alice's
team; an admin; nadia again with her password only ("nurse_1fa"); and erin, a
patient of alice's team, logged in and then erased ("erased": her old session).

`seed_markers` writes a unique marker into every text field of every row the
service holds about a patient (patients.privacy._records: the same list the erasure
and the export use, so a new model or field is seeded without a change here).
"""

import contextlib
import itertools
from dataclasses import dataclass, field

import django.test
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.test import override_settings
from django.utils import timezone

from alerts.services import flagging
from patients import privacy
from patients.models import Action, Carer, Contact, Flag, Question
from symptom_tracker.celery import app as celery_app

from .conftest import Client, login, second_factor
from .factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    add_member,
    london_contact_list,
    make_check_in,
)

PERSONAS = [
    "anon",
    "patient",
    "other",
    "carer",
    "other_carer",
    "revoked",
    "nurse",
    "other_nurse",
    "coordinator",
    "admin",
    "nurse_1fa",
    "erased",
]

# Fields a marker would break: read by the code as a key, a zone, a number or a hash.
NOT_FREE_TEXT = {
    "auth.user.password",
    "auth.user.username",  # login() finds the account by it; first and last names are marked
    "patients.patient.time_zone",
    "patients.flag.symptom",
    "patients.flag.rule",
    "patients.flag.raised_by",
    "patients.flag.rule_set",
    "patients.episode.symptom",
    "alerts.notification.address",
}


def text_fields(model) -> list[models.Field]:
    """The model's free-text columns: char, text and email fields without choices."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f"{model._meta.label_lower}.{f.name}" not in NOT_FREE_TEXT
    ]


_serial = itertools.count(1)

# The settings tests/conftest.py gives every test, for a world built once a module;
# sessions in the cache, so that every database write a test sees is a request's own.
SHARED_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "SECURE_SSL_REDIRECT": False,
    "SESSION_ENGINE": "django.contrib.sessions.backends.cache",
}


@contextlib.contextmanager
def shared_settings():
    """SHARED_SETTINGS, with Celery's tasks run in-process (as tests/conftest.py does)."""
    eager = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    try:
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(**SHARED_SETTINGS, STORAGES=storages):
            yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager


def seed_markers(patient, tag: str) -> dict[str, str]:
    """Write a unique marker into every free-text field of every row held about the
    patient; return {marker: "model.field #pk"}. Markers are short (they fit every
    max_length), lower-case letters and digits (nothing a page escapes)."""
    markers = {}
    for model, queryset in privacy._records(patient):
        fields = text_fields(model)
        for row in queryset:
            if model is get_user_model() and row.pk != patient.user_id:
                continue  # a carer's own account: the carer's, not the patient's
            for f in fields:
                marker = f"zq{tag}{next(_serial):04d}"
                value = f"{marker}@example.org" if isinstance(f, models.EmailField) else marker
                setattr(row, f.attname, value[: f.max_length] if f.max_length else value)
                markers[marker] = f"{model._meta.label_lower}.{f.name} #{row.pk}"
            if fields:
                model._base_manager.filter(pk=row.pk).update(
                    **{f.attname: getattr(row, f.attname) for f in fields}
                )
    return markers


@dataclass
class World:
    alice: object
    bob: object
    erin_ref: str
    users: dict
    check_in: object
    flag: object
    question: object
    invited: object
    cara_link: object
    team: object
    other_team: object
    erased_client: object
    markers: dict = field(default_factory=dict)  # tag -> {marker: where}

    def client(self, persona):
        if persona == "anon":
            return django.test.Client()
        if persona == "erased":
            return self.erased_client
        if persona == "nurse_1fa":  # the password only: no second factor yet
            client = django.test.Client()
            client.force_login(self.users["nurse"], "django.contrib.auth.backends.ModelBackend")
            return client
        return login(Client(), self.users[persona])


def full_record(patient, *, nurse, carer_name, carer_email, stools=9):
    """A flagged check-in (its flag, episode, alert and notifications), a question
    answered, a carer invited, a team's note on the episode."""
    TreatmentFactory(patient=patient)
    check_in = make_check_in(patient, stools_per_day=stools, free_text="x", new_medicines="y")
    flagging.flag_check_in(check_in.pk)
    flag = Flag.objects.get(check_in=check_in)
    Action.objects.create(episode=flag.episode, kind="phoned", note="z", taken_by=nurse)
    question = Question.objects.create(
        patient=patient, text="How often?", answer="Every three weeks", asked_at=timezone.now()
    )
    carer = Carer.objects.create(patient=patient, name=carer_name, email=carer_email)
    return check_in, flag, question, carer


def build_world(*, webhooks: bool = False) -> World:
    """Everyone, and their records; with `webhooks`, every contact takes alerts by
    webhook too (the leak-marker test reads what they are sent)."""
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    london_contact_list(team)
    other_team = CareTeamFactory(name="Other hospital", time_zone="America/New_York")
    london_contact_list(other_team)
    if webhooks:
        for contact in Contact.objects.all():
            contact.webhook_url = f"https://chat.example.test/hooks/{contact.pk}"
            contact.save()

    def person(username, **extra):
        return UserFactory(username=username, **extra)

    nadia, olga, colin = person("nadia"), person("olga"), person("colin")
    add_member(team, nadia)
    add_member(other_team, olga)
    add_member(team, colin, role="coordinator")
    admin = person("admin", is_staff=True, is_superuser=True)
    for user in (nadia, olga, colin, admin):
        second_factor(user)

    def patient(username, care_team):
        record = PatientFactory(care_team=care_team, user=person(username))
        BaselineFactory(patient=record)
        return record

    alice, bob, erin = patient("alice", team), patient("bob", other_team), patient("erin", team)
    now = timezone.now()

    def carer_of(record, username, **when):
        user = person(username)
        Carer.objects.create(patient=record, name=username, email=user.email, user=user, **when)
        return user

    cara = carer_of(alice, "cara", accepted_at=now)
    rex = carer_of(alice, "rex", accepted_at=now, revoked_at=now)
    dora = carer_of(bob, "dora", accepted_at=now)
    carer_of(erin, "ewan", accepted_at=now)

    check_in, flag, question, invited = full_record(
        alice, nurse=nadia, carer_name="Sam", carer_email="sam@example.org"
    )
    full_record(bob, nurse=olga, carer_name="Tom", carer_email="tom@example.org")
    full_record(erin, nurse=nadia, carer_name="Una", carer_email="una@example.org")
    markers = {
        "alice": seed_markers(alice, "alice"),
        "bob": seed_markers(bob, "bob"),
        "erin": seed_markers(erin, "erin"),
    }
    for record in (alice, bob, erin, invited, question, check_in, flag):
        record.refresh_from_db()

    erased_client = login(Client(), erin.user)
    erased_client.get("/")  # a live session, as she left it
    event = privacy.erase_patient(erin, admin)

    return World(
        alice=alice,
        bob=bob,
        erin_ref=event.patient_ref,
        users={
            "patient": alice.user,
            "other": bob.user,
            "carer": cara,
            "other_carer": dora,
            "revoked": rex,
            "nurse": nadia,
            "other_nurse": olga,
            "coordinator": colin,
            "admin": admin,
        },
        check_in=check_in,
        flag=flag,
        question=question,
        invited=invited,
        cara_link=Carer.objects.get(user=cara),
        team=team,
        other_team=other_team,
        erased_client=erased_client,
        markers=markers,
    )
