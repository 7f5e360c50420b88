"""Personas and fixtures: a patient and another patient, a nurse of the team and
a nurse of another team, an admin. Celery runs tasks eagerly here; the tests
marked `services` run a real worker against real PostgreSQL and Redis."""

import os

import pytest

from symptom_tracker.celery import app as celery_app

from .factories import (
    PASSWORD,
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    add_member,
    london_contact_list,
)


def skip_or_fail(reason: str, flag: str = "REQUIRE_SERVICES"):
    """Skip a test whose service is absent, or fail it when CI requires it (flag=1)."""
    if os.environ.get(flag) == "1":
        pytest.fail(f"{flag}=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def test_settings(settings):
    """Plain HTTP and unhashed static files: the production settings minus the proxy."""
    settings.SECURE_SSL_REDIRECT = False
    # Most tests log in: a fast hasher keeps the suite quick (never used outside tests).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless the test runs a real worker."""
    if request.node.get_closest_marker("services"):
        yield
        return
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture
def team(db):
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    team.contacts_by_role = london_contact_list(team)
    return team


@pytest.fixture
def other_team(db):
    team = CareTeamFactory(name="Other hospital", time_zone="America/New_York")
    london_contact_list(team)
    return team


@pytest.fixture
def patient(team):
    patient = PatientFactory(
        care_team=team, user=UserFactory(username="alice", first_name="Alice", last_name="Morgan")
    )
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient)
    return patient


@pytest.fixture
def other_patient(other_team):
    patient = PatientFactory(
        care_team=other_team, user=UserFactory(username="bob", first_name="Bob", last_name="Okafor")
    )
    BaselineFactory(patient=patient)
    return patient


@pytest.fixture
def nurse(team):
    user = UserFactory(username="nadia", first_name="Nadia", last_name="Hughes")
    add_member(team, user)
    return user


@pytest.fixture
def other_nurse(other_team):
    user = UserFactory(username="olga")
    add_member(other_team, user)
    return user


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    return user


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def patient_client(client, patient):
    return login(client, patient.user)


@pytest.fixture
def nurse_client(client, nurse):
    return login(client, nurse)


@pytest.fixture
def admin_client_(client, admin_user):
    return login(client, admin_user)
