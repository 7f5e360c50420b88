"""Enrolment in clinic (issue 15, item 3) in a real browser at 1280x800: a nurse
enrols a patient, sends the form once with a mistake, reads the summary, corrects
it, and prints the welcome letter."""

import re

import pytest

from patients.models import Patient

from ..factories import UserFactory, add_member
from .conftest import DESKTOP, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_enrols_a_patient_and_prints_the_welcome_letter(chromium, server):
    team = make_alice().care_team
    add_member(team, UserFactory(username="nadia", first_name="Nadia", last_name="Hughes"))
    page = chromium.new_page(viewport=DESKTOP)
    axe = AxeLog()
    log_in(page, server, "nadia")
    page.get_by_role("link", name="Enrol a patient").click()
    page.get_by_role("heading", name="Enrol a patient").wait_for()
    axe.check(page, "enrolment form")
    shot(page, "enrol-form-1280")

    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Adeyemi")
    page.get_by_label("Hospital number").fill("RX100200")
    page.get_by_label("Email address (optional)").fill("grace@example.org")
    page.get_by_label("Kind of treatment").select_option("checkpoint_inhibitor")
    page.get_by_label("Medicines").fill("nivolumab")
    page.get_by_label("Start date").fill("2026-11-30")
    questions = page.locator("[data-usual-questions]")
    assert questions.is_visible()
    page.get_by_label("The patient will record it at their first visit").check()
    assert not questions.is_visible()  # left for the first visit: not asked now
    page.get_by_label("SMS check-ins", exact=False).check()  # with no mobile number: a mistake
    page.get_by_role("button", name="Enrol and open the welcome letter").click()

    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "SMS check-ins need a mobile number" in summary.inner_text()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert Patient.objects.filter(hospital_number="RX100200").count() == 0
    axe.check(page, "enrolment form with a mistake")
    shot(page, "enrol-error-1280")

    summary.get_by_role("link", name="Mobile number (optional)").click()
    page.get_by_label("Mobile number (optional)").fill("+447700900456")
    page.get_by_role("button", name="Enrol and open the welcome letter").click()

    page.get_by_role("heading", name="Welcome letter for Grace Adeyemi").wait_for()
    assert "Grace Adeyemi is enrolled." in page.locator("main").inner_text()
    letter = page.locator(".welcome-letter")
    link = letter.locator("p.letter-link").inner_text()
    assert "/welcome/" in link
    assert letter.locator(".letter-link a").count() == 0  # plain text: never clicked here
    assert letter.locator("svg.qr-code").is_visible()
    assert letter.get_by_text("020 7946 0999").first.is_visible()
    axe.check(page, "welcome letter")
    shot(page, "enrol-letter-1280")

    page.emulate_media(media="print")
    assert not page.locator("nav").first.is_visible()
    assert not page.locator(".card-actions").is_visible()
    assert letter.locator("svg.qr-code").is_visible()
    card_top = letter.locator(".letter-card").bounding_box()["y"]
    assert card_top > letter.locator("#step-unwell").bounding_box()["y"]
    shot(page, "enrol-letter-print")
    # Two A4 pages: the letter, then the care-team card on a page of its own.
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    axe.assert_clean()
    page.close()
