"""The check-in form and the care team card in a real browser (Debian's Chromium).

An as-usual check-in in under 10 interactions, a score chosen with the keyboard
alone, °F converted, and the card printed on one page. Screenshots go to
screenshots/ at 390 and 1280 pixels wide.
"""

import re
from decimal import Decimal

import pytest

from patients.models import CheckIn

from ..factories import PASSWORD
from .conftest import DESKTOP, PHONE, SCREENSHOTS, log_in, shot
from .helpers import make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice():
    return make_alice()


class Counted:
    """Counts the patient's interactions: each click, fill, key press or page opened."""

    def __init__(self):
        self.count = 0

    def __call__(self, action, *args):
        self.count += 1
        return action(*args)


def test_an_as_usual_check_in_takes_under_ten_interactions(chromium, server, alice):
    page = chromium.new_page(viewport=PHONE)
    act = Counted()
    act(page.goto, f"{server.url}/login/")
    act(page.get_by_label("Username").fill, "alice")
    act(page.get_by_label("Password").fill, PASSWORD)
    act(page.get_by_role("button", name="Log in").click)
    act(page.get_by_role("link", name="Do today's check-in").click)
    act(page.get_by_role("button", name="Fill in my usual answers").click)
    page.get_by_text(re.compile(r"Filled in \d+ answers with your usual and No")).wait_for()
    shot(page, "patient-check-in-as-usual-390")
    act(page.get_by_role("button", name="Send my check-in").click)

    page.get_by_text("Thank you: nothing new to report").wait_for()
    assert act.count < 10
    saved = CheckIn.objects.get(patient=alice)
    assert (saved.stools_per_day, saved.fatigue, saved.wellbeing, saved.joint_pain) == (1, 1, 8, 0)
    assert saved.chest_pain is False and saved.temperature_c is None  # No to warning signs
    assert saved.urgency == "green"
    page.close()


def test_a_score_can_be_chosen_and_sent_with_the_keyboard_alone(chromium, server, alice):
    page = chromium.new_page(viewport=PHONE)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")

    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "nausea":
            break
    else:
        raise AssertionError("the nausea question cannot be reached with Tab")
    page.keyboard.press("ArrowRight")  # from None to Mild
    page.keyboard.press("ArrowRight")  # to Moderate
    assert page.evaluate("document.activeElement.value") == "2"
    label = page.locator("label[for=id_nausea_2]")
    outline = label.evaluate(
        "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
    )
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
    shot(page, "patient-check-in-keyboard-390")
    page.keyboard.press("Enter")  # the form's default button sends it

    page.get_by_role("heading", name=re.compile("Thank you|phone|today", re.I)).first.wait_for()
    assert CheckIn.objects.get(patient=alice).nausea == 2
    page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_an_area_is_filled_as_usual_and_a_fahrenheit_reading_is_stored_in_celsius(
    chromium, server, alice, viewport
):
    page = chromium.new_page(viewport=viewport)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")
    shot(page, f"patient-check-in-form-{viewport['width']}")

    page.get_by_role("button", name="As usual for bowels and tummy").click()
    assert page.get_by_label(re.compile("opened your bowels")).input_value() == "1"
    status = page.locator("#area-bowels-and-tummy .as-usual-status")
    assert status.get_attribute("role") == "status"
    from playwright.sync_api import expect

    expect(status).to_have_text(
        "Filled in 1 answer with your usual. 1 question here has no usual and is left for "
        "you to answer. Change anything that is different today."
    )
    assert not page.locator("input[name=fatigue]:checked").count()  # another area: untouched

    page.get_by_label("Your temperature, if you have taken it").fill("100.4")
    page.get_by_label("Fahrenheit").check()
    boxes = "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.x, r.width]; })"
    before = page.locator("label[for^=id_nausea_]").evaluate_all(boxes)
    page.locator("#id_nausea_1").check()  # a tap on "Mild" for nausea
    # Ticked, a choice turns bold and shows a tick, yet neither it nor its neighbours move.
    assert page.locator("label[for^=id_nausea_]").evaluate_all(boxes) == before
    shot(page, f"patient-check-in-filled-{viewport['width']}")
    page.get_by_role("button", name="Send my check-in").click()

    page.get_by_role("heading", name=re.compile(".")).first.wait_for()
    saved = CheckIn.objects.get(patient=alice)
    assert saved.temperature_c == Decimal("38.0") and saved.stools_per_day == 1
    assert saved.nausea == 1
    page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_warning_sign_answered_yes_brings_a_send_button_and_the_emergency_number_to_it(
    chromium, server, alice, viewport
):
    from playwright.sync_api import expect

    page = chromium.new_page(viewport=viewport)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")
    block = page.locator("[data-warning-send]")
    assert block.is_hidden()
    page.get_by_label(re.compile("opened your bowels")).fill("2")

    page.locator("#id_fainting_1").check()  # Yes to "Fainting or passing out"

    expect(block).to_be_visible()
    # Announced politely, and focus stays on the answer just given.
    expect(page.locator("[data-warning-status]")).to_contain_text(
        "You answered yes to a warning sign"
    )
    assert page.evaluate("document.activeElement.id") == "id_fainting_1"
    assert block.get_attribute("hidden") is None
    call = block.get_by_role("link", name="Call 999")
    assert call.get_attribute("href") == "tel:999"
    send_now = block.get_by_role("button", name="Send my check-in now")
    # At the end of the warning signs, not thousands of pixels below.
    warning_box = page.locator("#area-warning-signs").bounding_box()
    button_box = send_now.bounding_box()
    assert button_box["y"] + button_box["height"] <= warning_box["y"] + warning_box["height"]
    assert button_box["height"] >= 44 and call.bounding_box()["height"] >= 44
    block.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator("#area-warning-signs").screenshot(
        path=str(SCREENSHOTS / f"patient-check-in-warning-yes-{viewport['width']}.png")
    )
    # Back to No: the block goes again.
    page.locator("#id_fainting_0").check()
    expect(block).to_be_hidden()
    page.locator("#id_fainting_1").check()

    send_now.click()  # sends the whole form, like the main Send button

    page.get_by_role("heading", name="Urgent: phone now").wait_for()
    saved = CheckIn.objects.get(patient=alice)
    assert saved.fainting is True and saved.stools_per_day == 2
    assert saved.urgency == "red"
    page.close()


def test_the_error_summary_is_focused_and_leads_to_the_question(chromium, server, alice):
    page = chromium.new_page(viewport=PHONE)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")
    page.get_by_label(re.compile("Overall, how well")).fill("11")
    page.get_by_label("Your temperature, if you have taken it").fill("50")
    page.get_by_role("button", name="Send my check-in").click()

    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert summary.get_by_role("heading", name="There is a problem").is_visible()
    links = summary.get_by_role("link")
    assert links.count() == 2
    # Not the emergency's red: an amber box with a thick border.
    assert summary.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 243, 205)"
    shot(page, "patient-check-in-error-summary-390")

    summary.get_by_role("link", name=re.compile("Your temperature")).click()

    assert page.evaluate("document.activeElement.id") == "id_temperature_c"
    box = page.locator("#id_temperature_c").bounding_box()
    assert 0 <= box["y"] <= PHONE["height"]
    page.close()


def test_an_impossible_temperature_is_shown_beside_the_box(chromium, server, alice):
    page = chromium.new_page(viewport=PHONE)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")
    page.get_by_label("Your temperature, if you have taken it").fill("200")
    page.get_by_label("Fahrenheit").check()
    page.get_by_role("button", name="Send my check-in").click()

    error = page.locator("#id_temperature_c_error")
    error.wait_for()
    assert "°C" in error.inner_text() and "°F" in error.inner_text()
    assert page.get_by_label("Fahrenheit").is_checked()
    error.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator("#area-how-you-are-overall").screenshot(
        path=str(SCREENSHOTS / "patient-check-in-temperature-error-390.png")
    )
    assert not CheckIn.objects.filter(patient=alice).exists()
    page.close()


def test_the_care_team_card_prints_on_one_page_without_navigation(chromium, server, alice):
    page = chromium.new_page(viewport=PHONE)
    log_in(page, server, "alice")
    page.goto(f"{server.url}/contacts/")
    shot(page, "patient-contacts-390")
    page.get_by_role("link", name="Show my card to print").click()
    page.get_by_text("My immunotherapy care team card").wait_for()
    assert page.get_by_role("button", name="Print this card").is_visible()
    shot(page, "patient-care-card-390")
    page.close()

    desk = chromium.new_page(viewport=DESKTOP)
    log_in(desk, server, "alice")
    desk.goto(f"{server.url}/contacts/")
    shot(desk, "patient-contacts-1280")
    desk.emulate_media(media="print")
    assert not desk.locator("nav").is_visible()
    assert not desk.get_by_role("link", name="Show my card to print").is_visible()
    assert desk.get_by_text("I am on immunotherapy (pembrolizumab).").is_visible()
    assert desk.get_by_text(alice.hospital_number).is_visible()
    number = desk.get_by_text("Call 020 7946 0999")
    assert float(number.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
    shot(desk, "patient-care-card-print-1280")
    pdf = desk.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    # The card's own page prints the same one page, without its buttons.
    desk.emulate_media(media="screen")
    desk.goto(f"{server.url}/contacts/?card=1")
    desk.get_by_role("button", name="Print this card").wait_for()
    desk.emulate_media(media="print")
    assert not desk.get_by_role("button", name="Print this card").is_visible()
    assert desk.get_by_text("I am on immunotherapy (pembrolizumab).").is_visible()
    pdf = desk.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    desk.close()
