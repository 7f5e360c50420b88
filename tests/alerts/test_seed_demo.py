"""The demo data (`seed_demo`, loaded by `make run`): two teams, each nurse seeing
only her own team's patients."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from alerts.management.commands.seed_demo import DEMO_TOTP_KEY, OTHER_TEAM, PASSWORD, Command
from patients.models import CareTeam, Patient

from ..conftest import Client

pytestmark = pytest.mark.django_db


def seed(settings) -> str:
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the worker's job; nothing to deliver here
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("seed_demo", stdout=Out())
    return "".join(out)


def queue_of(username) -> str:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    response = client.get(reverse("alerts:queue"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_second_teams_nurse_sees_only_her_teams_patients(settings):
    seed(settings)

    nina = queue_of("nina")
    assert "Angus Reid" in nina
    assert "Robert Okafor" not in nina and "Carol Singh" not in nina

    nadia = queue_of("nurse")
    assert "Robert Okafor" in nadia
    assert "Angus Reid" not in nadia


def test_the_second_teams_nurse_has_the_demo_authenticator(settings):
    seed(settings)

    device = TOTPDevice.objects.get(user__username="nina")
    assert device.key == DEMO_TOTP_KEY and device.confirmed


def test_the_logins_of_both_teams_and_the_address_are_printed(settings):
    settings.SITE_URL = "http://127.0.0.1:8100"
    out = seed(settings)

    assert "nina" in out and "gus" in out and "nurse" in out
    assert "Open http://127.0.0.1:8100/" in out


def test_a_demo_loaded_before_the_second_team_gains_it(settings, monkeypatch):
    with monkeypatch.context() as old_demo:  # as seed_demo loaded one team before
        old_demo.setattr(Command, "_other_team", lambda self: None)
        seed(settings)
    assert not CareTeam.objects.filter(name=OTHER_TEAM).exists()

    assert "Demo data loaded." in seed(settings)
    assert Patient.objects.filter(care_team__name=OTHER_TEAM).count() == 2
    assert "already loaded" in seed(settings)
