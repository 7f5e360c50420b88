"""The core loop in a real browser (Debian's Chromium, driven by Playwright).

A patient logs in on a phone-sized screen, sends a check-in with 9 stools
against a usual of 1, and is told to phone the on-duty contact now; the nurse
sees the flag in the triage queue. Screenshots go to screenshots/.
"""

import os
import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from alerts import services
from alerts.models import Flag

from ..conftest import skip_or_fail
from ..factories import (
    PASSWORD,
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    add_member,
    london_contact_list,
)

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)", "REQUIRE_BROWSER")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed", "REQUIRE_BROWSER")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes between pages are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="module")
def server(request):
    """The live server over plain HTTP: SecurityMiddleware reads the redirect setting
    when the server's handler is built, so it is overridden before the server starts."""
    with override_settings(SECURE_SSL_REDIRECT=False):
        yield request.getfixturevalue("live_server")


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, server, username):
    page.goto(f"{server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_patient_is_told_to_phone_now_and_the_nurse_sees_the_flag(chromium, server):
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(care_team=team, user=UserFactory(username="alice", first_name="Alice"))
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient, stools_per_day=1)
    nurse = UserFactory(username="nadia", first_name="Nadia")
    add_member(team, nurse)
    on_duty = services.route_for(patient, "red", timezone.now()).contact

    page = chromium.new_page(viewport=PHONE)
    log_in(page, server, "alice")
    shot(page, "patient-dashboard-390")
    page.get_by_role("link", name="Do today's check-in").click()
    page.get_by_label(re.compile("opened your bowels")).fill("9")
    shot(page, "patient-check-in-390")
    page.get_by_role("button", name="Send my check-in").click()

    page.get_by_role("heading", name="Urgent: phone now").wait_for()
    call = page.get_by_role("link", name=re.compile(r"^Call \d"))
    first_call = call.first
    expected_phone = team.contacts.get(pk=on_duty.ref).phone
    assert first_call.get_attribute("href") == "tel:" + expected_phone.replace(" ", "")
    assert page.get_by_text("Do not start any new medicines").is_visible()
    shot(page, "patient-advice-red-390")
    page.close()

    # The worker's job (run eagerly in this process when the check-in committed).
    flag = Flag.objects.get(check_in__patient=patient)
    assert (flag.symptom, flag.urgency) == ("stools_per_day", "red")

    desk = chromium.new_page(viewport=DESKTOP)
    log_in(desk, server, "nadia")
    desk.get_by_role("heading", name="Triage queue").wait_for()
    row = desk.get_by_role("row", name="stools 9/day vs baseline 1/day")
    assert row.is_visible()
    shot(desk, "nurse-queue-1280")
    row.get_by_role("link", name="Stools").click()
    desk.get_by_role("button", name="Acknowledge").click()
    desk.get_by_text("Acknowledged: escalation has stopped").wait_for()
    shot(desk, "nurse-flag-1280")
    desk.close()
    flag.refresh_from_db()
    assert flag.status == "acknowledged" and flag.acknowledged_by == nurse
