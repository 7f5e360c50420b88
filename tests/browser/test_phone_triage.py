"""Nurse phone triage in a browser at 1280x800 (issue 15, item 1): find the patient,
open the call page, answer, see the engine's result follow the answers
(static/js/phone_call.js), save; axe-core clean on each page."""

import pytest

from alerts.models import PhoneCall
from patients.models import CheckIn

from ..factories import UserFactory, add_member
from .conftest import DESKTOP, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_finds_the_patient_records_a_call_and_sees_the_result_update(chromium, server):
    alice = make_alice()
    nurse = UserFactory(username="nadia", first_name="Nadia", last_name="Hughes")
    add_member(alice.care_team, nurse)
    axe = AxeLog()

    page = chromium.new_page(viewport=DESKTOP)
    log_in(page, server, "nadia")
    page.get_by_role("link", name="Find a patient").click()
    page.get_by_label("Name or hospital number").fill("morgan")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("1 patient matches").wait_for()
    axe.check(page, "the patient search")
    shot(page, "phone-triage-search-1280")

    page.get_by_role("link", name="Record a phone call with Alice Morgan").click()
    page.get_by_role("heading", name="Phone call: Alice Morgan").wait_for()
    result = page.locator("#call-result .call-result")
    assert result.get_attribute("data-urgency") == ""
    assert "usual: 1" in page.locator("#div_id_stools_per_day").inner_text()

    # Answers change the result in place, without a reload.
    page.locator("input[name=stools_per_day]").fill("3")
    page.locator('#call-result [data-urgency="amber"]').wait_for()
    assert "same-day review" in page.locator("#call-result").inner_text()
    page.locator("input[name=stools_per_day]").fill("9")
    page.locator('#call-result [data-urgency="red"]').wait_for()
    assert "Advise attending now" in page.locator("#call-result").inner_text()
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert not CheckIn.objects.exists()
    axe.check(page, "the call page with a red result")
    shot(page, "phone-triage-call-1280")

    # A lower urgency without a reason: refused, nothing saved.
    page.get_by_label("Amber", exact=True).check()
    page.get_by_label("Attend now", exact=True).check()
    page.get_by_role("button", name="Save the call").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "write why" in page.locator(".error-summary").inner_text()
    assert not CheckIn.objects.exists()
    axe.check(page, "the call refused without a reason")
    shot(page, "phone-triage-refused-1280")

    page.get_by_label("Why a lower urgency than the engine's?").fill(
        "Nine is her usual stoma output since her operation."
    )
    page.get_by_role("button", name="Save the call").click()
    page.get_by_text("Phone call saved: amber, attend now.").wait_for()
    call = PhoneCall.objects.get()
    assert (call.engine_urgency, call.urgency, call.lowered) == ("red", "amber", True)
    assert "Reason for the lower urgency" in page.locator(".phone-call-record").inner_text()
    axe.check(page, "the patient's page after the call")
    shot(page, "phone-triage-saved-1280")
    page.close()
    axe.assert_clean()
