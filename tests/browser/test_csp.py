"""In Chromium, under the real Content Security Policy: the pages, their scripts
(check-in, print, the queue's refresh) and the QR code work, and nothing is
blocked. Also the queue's refresh after the idle timeout: the page goes to login."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import totp

from accounts.activation import activation_issue

from ..factories import (
    PASSWORD,
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    add_member,
    london_contact_list,
    make_check_in,
)
from .conftest import DESKTOP, PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any of the page's own scripts (and is not subject to its policy).
WATCH = """
window.__blocked = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__blocked.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def watched_page(chromium, viewport):
    page = chromium.new_page(viewport=viewport)
    page.add_init_script(WATCH)
    messages = []
    page.on(
        "console",
        lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return page, messages


def blocked(page, messages):
    return page.evaluate("window.__blocked || []") + messages


@pytest.fixture
def unit():
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(
        care_team=team, user=UserFactory(username="alice", first_name="Alice", last_name="Morgan")
    )
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient, stools_per_day=1)
    from alerts.services import flagging

    flagging.flag_check_in(make_check_in(patient, stools_per_day=9).pk)
    nurse = UserFactory(username="nadia", first_name="Nadia")
    add_member(team, nurse)
    return team, patient, nurse


def test_nothing_is_blocked_on_the_patients_pages(chromium, server, unit):
    page, messages = watched_page(chromium, PHONE)
    page.goto(f"{server.url}/login/")
    assert page.evaluate("document.querySelector('link[href*=bootstrap]').sheet !== null")
    log_in(page, server, "alice")
    page.wait_for_url(f"{server.url}/")
    for path in ("/", "/check-ins/", "/contacts/", "/treatment/", "/questions/"):
        page.goto(f"{server.url}{path}")
        assert blocked(page, messages) == [], path

    # The check-in page's script runs: "As usual" for an area fills it in place.
    page.goto(f"{server.url}/check-in/")
    page.get_by_role("button", name=re.compile("As usual for bowels")).click()
    assert page.get_by_label(re.compile("opened your bowels")).input_value() == "1"
    assert blocked(page, messages) == []
    page.close()


def test_nothing_is_blocked_on_the_care_teams_pages(chromium, server, unit):
    team, patient, _ = unit
    page, messages = watched_page(chromium, DESKTOP)
    log_in(page, server, "nadia")
    page.get_by_role("heading", name="Triage queue").wait_for()
    for path in (
        "/triage/",
        f"/triage/patients/{patient.pk}/",
        "/triage/missed/",
        f"/triage/teams/{team.pk}/contacts/",
        f"/triage/teams/{team.pk}/figures/",
    ):
        page.goto(f"{server.url}{path}")
        assert blocked(page, messages) == [], path

    # The contact list's own stylesheet applies (it was an inline <style> block).
    page.goto(f"{server.url}/triage/teams/{team.pk}/contacts/")
    sheets = page.evaluate("[...document.styleSheets].map(s => s.href || 'inline')")
    assert any(s.endswith("/static/css/contacts.css") for s in sheets)
    assert "inline" not in sheets

    # The queue's refresh (a fetch of ?partial=1) runs and swaps the results in.
    page.goto(f"{server.url}/triage/")
    with page.expect_response(lambda r: "partial=1" in r.url) as refreshed:
        page.locator("[data-queue-refresh]").first.click()
    assert refreshed.value.headers.get("x-queue-results") == "1"
    assert blocked(page, messages) == []
    page.close()


def test_the_qr_code_is_drawn_and_a_first_code_sets_the_app_up(chromium, server, unit):
    team, _, _ = unit
    newcomer = UserFactory(username="nell", first_name="Nell")
    add_member(team, newcomer)
    page, messages = watched_page(chromium, PHONE)
    page.goto(f"{server.url}/login/")
    page.get_by_label("Username").fill("nell")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("heading", name="Set up two-factor authentication").wait_for()
    page.get_by_label("Activation code").fill(activation_issue(user=newcomer).code)
    page.get_by_role("button", name="Continue").click()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["width"] == pytest.approx(box["height"], abs=1)
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code from your authenticator app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm and continue").click()

    page.get_by_role("heading", name="Triage queue").wait_for()
    assert page.get_by_text("Two-factor authentication is set up").is_visible()
    assert blocked(page, messages) == []
    page.close()


def test_after_the_idle_timeout_the_queue_reloads_to_the_login_page(
    chromium, server, unit, settings
):
    page, messages = watched_page(chromium, DESKTOP)
    log_in(page, server, "nadia")
    page.get_by_role("heading", name="Triage queue").wait_for()

    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1
    time.sleep(2.1)
    page.locator("[data-queue-refresh]").first.click()  # a refresh in place, as every 30 s

    page.wait_for_url(re.compile(r"/login/\?next=/triage/$"))
    assert page.get_by_text("You were logged out after 1 minute without activity").is_visible()
    assert blocked(page, messages) == []
    page.close()
