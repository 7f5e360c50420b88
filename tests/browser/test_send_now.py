"""Issue 13, item 5: after a Yes to a warning sign, the way to send the check-in now is
on screen at once, at 390 and 1280 pixels wide, without scrolling to find it.

The worst case is taken: the question answered Yes sits at the very bottom of the
window when it is answered. Screenshots of the window as the patient sees it go to
screenshots/ (and /tmp)."""

import re

import pytest

from patients.models import CheckIn

from .conftest import DESKTOP, PHONE, SCREENSHOTS, log_in
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice():
    return make_alice()


def in_window(box, viewport) -> bool:
    """Whole in the window; half a pixel over its edge is the browser rounding a
    fractional position (a legend's line height) to a whole pixel when it scrolls."""
    return (
        box is not None
        and box["y"] >= -0.5
        and box["y"] + box["height"] <= viewport["height"] + 0.5
        and box["x"] >= 0
        and box["x"] + box["width"] <= viewport["width"]
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("question", ["chest_pain", "confusion"])
def test_a_yes_to_a_warning_sign_brings_send_now_into_the_window(
    chromium, server, alice, viewport, question
):
    from playwright.sync_api import expect

    page = chromium.new_page(viewport=viewport)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")
    # The question at the bottom edge of the window, as a patient scrolling down sees it.
    page.locator(f"#div_id_{question}").evaluate(
        "e => e.scrollIntoView({block: 'end', behavior: 'instant'})"
    )
    yes = page.locator(f"#id_{question}_1")
    assert in_window(yes.bounding_box(), viewport)

    yes.click()  # a tap on "Yes" (the radio lies over its label)

    send_now = page.get_by_role("button", name="Send my check-in now")
    # Whole in the window with no scrolling by the patient (the page moves only as far as
    # needed to show it, and the answer just given stays in sight).
    expect(send_now).to_be_in_viewport(ratio=1)
    # The page scrolls smoothly (Bootstrap's scroll-behavior): wait for the whole block,
    # its call button under the send button included, before measuring.
    expect(page.locator("[data-warning-send]")).to_be_in_viewport(ratio=1)
    assert in_window(send_now.bounding_box(), viewport), send_now.bounding_box()
    call = page.locator("[data-warning-send]").get_by_role("link", name="Call 999")
    assert in_window(call.bounding_box(), viewport), call.bounding_box()
    # The answer just given is still in sight, and keeps the focus.
    assert in_window(yes.bounding_box(), viewport), yes.bounding_box()
    assert page.evaluate("document.activeElement.id") == f"id_{question}_1"
    # Told to screen-reader users, politely: where the button is.
    status = page.locator("[data-warning-status]")
    assert status.get_attribute("role") == "status"
    expect(status).to_contain_text("You answered yes to a warning sign")
    expect(status).to_contain_text("Send my check-in now")
    # Tab from the answer reaches the button next, before the other questions.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Send my check-in now"

    width = viewport["width"]
    for folder in (SCREENSHOTS, "/tmp"):
        path = f"{folder}/patient-check-in-send-now-{question}-{width}.png"
        page.screenshot(path=path)  # the window, not the whole page
    axe = AxeLog()
    axe.check(page, f"check-in after Yes to {question} at {width}")
    axe.assert_clean()

    send_now.click()

    page.get_by_role("heading", name=re.compile("^Emergency: call 999 now|^Urgent")).wait_for()
    saved = CheckIn.objects.get(patient=alice)
    assert getattr(saved, question) is True
    assert saved.urgency in ("red", "emergency")
    page.close()
