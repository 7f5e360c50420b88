"""Whom to call first (issue 13, item 6): the contacts page leads with one sentence
and one number for now, tonight, the weekend and an emergency, at phone and desktop
widths, and says each contact's hours once."""

import pytest
from django.conf import settings

from patients.services.advice import whom_to_call

from .conftest import DESKTOP, PHONE, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice():
    patient = make_alice()
    # The demo's free text beside the structured hours (seed_demo's contact list).
    contacts = patient.care_team.contacts
    contacts.filter(order=1).update(when_to_call="Weekdays 9am to 5pm.")
    contacts.filter(order=2).update(when_to_call="Any time, day or night, including weekends.")
    return patient


@pytest.mark.parametrize("width, viewport", [("390", PHONE), ("1280", DESKTOP)])
def test_the_contacts_page_leads_with_whom_to_call_first(chromium, server, alice, width, viewport):
    page = chromium.new_page(viewport=viewport)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/contacts/")
    shot(page, f"patient-whom-to-call-{width}")
    page.screenshot(path=f"/tmp/whom-to-call-{width}.png", full_page=True)

    section = page.locator("section.whom-to-call")
    sentences = section.locator(".d-print-none li")
    expected = [c.sentence for c in whom_to_call(alice) if c.situation != "emergency"]
    assert sentences.all_inner_texts() == expected
    assert [s.split(",")[0] for s in expected] == ["Now", "Tonight", "At the weekend"]
    assert section.get_by_role("link", name=f"Call {settings.EMERGENCY_NUMBER}").is_visible()
    # The sentences come first: the list of contacts is below them.
    first_card = page.locator(".contact-card").first.bounding_box()["y"]
    assert section.bounding_box()["y"] + section.bounding_box()["height"] <= first_card
    assert sentences.first.bounding_box()["y"] < viewport["height"]  # on the first screen
    text = page.locator("main").inner_text()
    assert "Weekdays 9am to 5pm" not in text and "Any time, day or night" not in text
    assert text.count("Available Monday to Friday, 09:00\u201317:00.") == 1

    axe = AxeLog()
    axe.check(page, f"contacts {width}")
    axe.assert_clean()
    page.close()
