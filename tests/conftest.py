"""Personas and fixtures: a patient and another patient, a nurse of the team and
a nurse of another team, an admin. Celery runs tasks eagerly here; the tests
marked `services` run a real worker against real PostgreSQL and Redis."""

import os
import time

import django.test
import kombu.pools
import pytest
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import needs_second_factor
from patients.models import Carer
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

# Under pytest-xdist (`make test` runs a worker per core) each worker's tests that use
# Redis get a database of their own (15, 14, ...), as each gets its own test database.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw") and "TEST_REDIS_DB" not in os.environ:
    os.environ["TEST_REDIS_DB"] = str(15 - int(_XDIST_WORKER[2:]))


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


def reset_broker_pools():
    """Forget connections to the previous broker, here and in kombu's global pools."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def broker_at(eager_celery):
    """broker_at(url): this process's Celery publishes to `url` (not eager) until the
    test ends; nothing consumes it here."""
    saved = celery_app.conf.broker_url

    def point(url):
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = url
        reset_broker_pools()

    yield point
    celery_app.conf.broker_url = saved
    reset_broker_pools()


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
    """A nurse of the team, who has set up her authenticator app."""
    user = UserFactory(username="nadia", first_name="Nadia", last_name="Hughes")
    add_member(team, user)
    second_factor(user)
    return user


@pytest.fixture
def other_nurse(other_team):
    user = UserFactory(username="olga")
    add_member(other_team, user)
    second_factor(user)
    return user


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    second_factor(user)
    return user


@pytest.fixture
def carer(patient):
    """Someone alice invited, who accepted: they may act for alice."""
    user = UserFactory(username="cara", first_name="Cara", last_name="Morgan")
    Carer.objects.create(
        patient=patient, name="Cara", email=user.email, user=user, accepted_at=timezone.now()
    )
    return user


@pytest.fixture
def revoked_carer(patient):
    """Someone alice invited, who accepted, and whose access alice then removed."""
    user = UserFactory(username="rex", first_name="Rex")
    now = timezone.now()
    Carer.objects.create(
        patient=patient, name="Rex", email=user.email, user=user, accepted_at=now, revoked_at=now
    )
    return user


def second_factor(user) -> TOTPDevice:
    """The user's confirmed authenticator app (accounts.two_factor), made if need be."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code the person's app shows now, as a string of 6 digits.

    A code works once: when this time step's was used already (the same person
    logged in twice within 30 s), the next step's, which django-otp also accepts."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


class Client(django.test.Client):
    """Django's test client, logging in as a browser does.

    - login() checks the password with a request, as django-axes requires (it
      counts failures per username and address).
    - Logging in someone who has set up an authenticator app, by password or
      force_login, also gives their code, as the browser does next; the session is
      verified (django_otp.login), as after the second-factor page. Someone without
      one is left at the second factor's setup, as in a browser.
    """

    def login(self, **credentials):
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        user = authenticate(request, **credentials)
        if user is None:
            return False
        self.force_login(user, backend=user.backend)
        return True

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            request = HttpRequest()
            request.session = self.session
            request.user = user
            otp_login(request, device)
            request.session.save()


@pytest.fixture
def client():
    return Client()


def login(client, user):
    """Log `user` in: the password, then, for a clinician or an admin, the code from
    their authenticator app (set up first if they have none)."""
    if needs_second_factor(user):
        second_factor(user)
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
