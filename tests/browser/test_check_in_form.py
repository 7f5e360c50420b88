"""The check-in form and the care team card in a real browser (Debian's Chromium).

An as-usual check-in in under 10 interactions, a score chosen with the keyboard
alone, °F converted, and the card printed on one page. Screenshots go to
screenshots/ at 390 and 1280 pixels wide.
"""

import re
from decimal import Decimal

import pytest

from patients.models import CheckIn

from ..factories import (
    PASSWORD,
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    london_contact_list,
)
from .conftest import DESKTOP, PHONE, SCREENSHOTS, log_in, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice():
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(
        care_team=team, user=UserFactory(username="alice", first_name="Alice", last_name="Morgan")
    )
    TreatmentFactory(patient=patient, medicines="pembrolizumab")
    BaselineFactory(patient=patient, stools_per_day=1, fatigue=1, wellbeing=8, joint_pain=0)
    return patient


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
    page.get_by_text(re.compile(r"Filled in \d+ answers with your usual")).wait_for()
    shot(page, "patient-check-in-as-usual-390")
    act(page.get_by_role("button", name="Send my check-in").click)

    page.get_by_text("Thank you: nothing new to report").wait_for()
    assert act.count < 10
    saved = CheckIn.objects.get(patient=alice)
    assert (saved.stools_per_day, saved.fatigue, saved.wellbeing, saved.joint_pain) == (1, 1, 8, 0)
    assert saved.chest_pain is None and saved.temperature_c is None
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
        "Filled in 1 answer with your usual. Change anything that is different today."
    )
    assert not page.locator("input[name=fatigue]:checked").count()  # another area: untouched

    page.get_by_label("Your temperature, if you have taken it").fill("100.4")
    page.get_by_label("Fahrenheit").check()
    page.locator("#id_nausea_1").check()  # a tap on "Mild" for nausea
    shot(page, f"patient-check-in-filled-{viewport['width']}")
    page.get_by_role("button", name="Send my check-in").click()

    page.get_by_role("heading", name=re.compile(".")).first.wait_for()
    saved = CheckIn.objects.get(patient=alice)
    assert saved.temperature_c == Decimal("38.0") and saved.stools_per_day == 1
    assert saved.nausea == 1
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
    assert page.get_by_role("button", name="Print my card").is_visible()
    shot(page, "patient-contacts-390")
    page.get_by_role("link", name="Printable card").click()
    page.get_by_text("My immunotherapy care team card").wait_for()
    shot(page, "patient-care-card-390")
    page.close()

    desk = chromium.new_page(viewport=DESKTOP)
    log_in(desk, server, "alice")
    desk.goto(f"{server.url}/contacts/")
    shot(desk, "patient-contacts-1280")
    desk.emulate_media(media="print")
    assert not desk.locator("nav").is_visible()
    assert not desk.get_by_role("button", name="Print my card").is_visible()
    assert desk.get_by_text("I am on immunotherapy (pembrolizumab).").is_visible()
    assert desk.get_by_text(alice.hospital_number).is_visible()
    number = desk.get_by_text("Call 020 7946 0999")
    assert float(number.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
    shot(desk, "patient-care-card-print-1280")
    pdf = desk.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    desk.close()
