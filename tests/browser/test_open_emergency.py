"""An open emergency leads the page of a later all-clear check-in (issue 13, item 2):
the emergency's call button is on screen without scrolling, at phone and desktop
widths, and the page is clean for axe-core. Screenshots go to screenshots/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ..factories import make_check_in
from .conftest import DESKTOP, PHONE, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice():
    return make_alice()


def on_screen(page, locator) -> bool:
    """Whether the element is wholly inside the viewport as the page opens."""
    box = locator.bounding_box()
    view = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= view["height"]
        and box["x"] + box["width"] <= view["width"]
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_later_green_check_in_leads_with_the_emergencys_call_button(
    chromium, server, alice, viewport
):
    """Alice reported chest pain a minute ago (the worker has not run yet); her next
    check-in has nothing new. Its page leads with the emergency, not an all-clear."""
    make_check_in(
        alice, at=timezone.now() - timedelta(minutes=1), chest_pain=True, urgency="emergency"
    )
    green = make_check_in(alice)
    page = chromium.new_page(viewport=viewport)
    axe = AxeLog()
    log_in(page, server, "alice")

    page.goto(f"{server.url}/check-ins/{green.pk}/")

    call = page.locator("#open-alarm").get_by_role("link", name="Call 999")
    assert call.get_attribute("href") == "tel:999"
    assert on_screen(page, call), f"the call button is below the fold: {call.bounding_box()}"
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Emergency: call 999 now"
    assert page.get_by_text("Thank you: nothing new to report").count() == 0
    width = viewport["width"]
    page.screenshot(path=f"/tmp/open-emergency-result-{width}.png")
    shot(page, f"patient-open-emergency-result-{width}")
    axe.check(page, "result page of a green check-in with an open emergency")

    page.goto(f"{server.url}/")
    home_call = page.locator("#open-alarm").get_by_role("link", name="Call 999")
    assert on_screen(page, home_call), f"home's call button is below the fold: {width}px"
    shot(page, f"patient-open-emergency-home-{width}")
    axe.check(page, "home with an open emergency")

    # About to check in again: the form's page leads with it too.
    page.goto(f"{server.url}/check-in/")
    form_call = page.locator("#open-alarm").get_by_role("link", name="Call 999")
    assert on_screen(page, form_call), f"the check-in page's call button is below: {width}px"
    shot(page, f"patient-open-emergency-check-in-{width}")
    axe.check(page, "check-in form with an open emergency")
    page.close()
    axe.assert_clean()
