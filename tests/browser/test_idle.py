"""A clinician's page left open leaves the screen by itself after the idle timeout
(static/js/idle.js): it reloads, the server logs the nurse out, and the login page
says why. A patient's record is not left on a ward screen."""

import pytest

from ..factories import CareTeamFactory, PatientFactory, UserFactory, add_member
from .conftest import DESKTOP, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_timeline_left_open_goes_to_the_login_page(chromium, server, settings):
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    patient = PatientFactory(care_team=team, user=UserFactory(username="alice"))
    nurse = UserFactory(username="nadia", first_name="Nadia")
    add_member(team, nurse)
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1  # the page reloads 5 s after the limit

    page = chromium.new_page(viewport=DESKTOP)
    log_in(page, server, "nadia")
    page.goto(f"{server.url}/triage/patients/{patient.pk}/")
    page.get_by_role("heading", name=patient.name).wait_for()

    page.wait_for_url(f"{server.url}/login/**", timeout=15_000)
    page.get_by_text("You were logged out after 1 minute without activity").wait_for()
    assert patient.name not in page.content()
    page.close()
