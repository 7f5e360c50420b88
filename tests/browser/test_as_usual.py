"""Issue 13, items 3 and 12: an as-usual day, from the login page to the advice, at 390
and 1280 pixels wide, in at most 10 interactions; "as usual" answers every question
from the usual and No to every warning sign, folds each area to one line (the page
gets short), sends nothing by itself, and a folded area opens again by keyboard.

The interaction count and the page's height before and after "as usual" are printed
(`-s` shows them). Screenshots go to screenshots/patient-as-usual-*.
"""

import re

import pytest

from clinical.catalogue import BASELINE_ITEMS, ITEMS, YESNO
from patients.models import CheckIn

from ..factories import PASSWORD, BaselineFactory
from .conftest import DESKTOP, PHONE, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo's usual (alerts/management/commands/seed_demo.py), every question answered:
# none (0) where the demo names no symptom.
USUAL = {item.key: 0 for item in BASELINE_ITEMS} | dict(
    stools_per_day=1, fatigue=1, wellbeing=8, joint_pain=1
)


@pytest.fixture
def alice():
    patient = make_alice()
    BaselineFactory(patient=patient, **USUAL)  # the newest usual is the active one
    return patient


class Counted:
    """Counts the patient's interactions: each page opened, field filled, click or tap."""

    def __init__(self):
        self.count = 0

    def __call__(self, action, *args):
        self.count += 1
        return action(*args)


def height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_an_as_usual_day_takes_at_most_ten_interactions_from_login_to_advice(
    chromium, server, alice, viewport
):
    from playwright.sync_api import expect

    width = viewport["width"]
    page = chromium.new_page(viewport=viewport)
    axe = AxeLog()
    act = Counted()
    act(page.goto, f"{server.url}/login/")
    act(page.get_by_label("Username").fill, "alice")
    act(page.get_by_label("Password").fill, PASSWORD)
    act(page.get_by_role("button", name="Log in").click)
    act(page.get_by_role("link", name="Do today's check-in").click)
    page.get_by_role("heading", name="Today's check-in").wait_for()
    before = height(page)

    act(page.get_by_role("button", name="Fill in my usual answers").click)

    status = page.locator(".fill-all .as-usual-status")
    expect(status).to_have_text(
        "Filled in every answer with your usual and No to every warning sign. The "
        "temperature is left blank: add it if you have taken it. Change anything that is "
        "different today, then send."
    )
    # Every area folded to one line; nothing sent until the patient presses send.
    expect(page.locator("section.area-folded")).to_have_count(9)
    expect(page.locator("#area-warning-signs .area-fold-text")).to_have_text(
        "Answered No to all 9 warning signs."
    )
    assert page.locator("#area-warning-signs .area-questions").is_hidden()
    assert not CheckIn.objects.filter(patient=alice).exists()
    after = height(page)
    print(f"check_in_height_{width}: before={before}px after_as_usual={after}px")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"patient-as-usual-filled-{width}")
    axe.check(page, f"check-in after as usual @{width}")
    if width == PHONE["width"]:
        assert before > 6000 and after < 2600, (before, after)

    act(page.get_by_role("button", name="Send my check-in", exact=True).click)

    page.get_by_text("Thank you: nothing new to report").wait_for()
    print(f"as_usual_interactions_{width}= {act.count}")
    assert act.count <= 10
    saved = CheckIn.objects.get(patient=alice)
    for key, value in USUAL.items():
        assert getattr(saved, key) == value, key
    for item in ITEMS:
        if item.kind == YESNO:
            assert getattr(saved, item.key) is False, item.key
    assert saved.temperature_c is None and saved.urgency == "green"

    page.goto(f"{server.url}/baseline/")
    shot(page, f"patient-as-usual-usual-page-{width}")
    axe.check(page, f"usual @{width}")
    page.close()
    axe.assert_clean()


def test_a_folded_area_opens_again_by_keyboard_and_a_yes_still_brings_send_now(
    chromium, server, alice
):
    from playwright.sync_api import expect

    page = chromium.new_page(viewport=PHONE)
    from .conftest import log_in

    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")
    page.get_by_role("button", name="Fill in my usual answers").click()
    show = page.get_by_role("button", name="Show the warning signs")
    expect(show).to_have_attribute("aria-expanded", "false")
    assert show.get_attribute("aria-controls") == "area-warning-signs-questions"

    show.focus()
    page.keyboard.press("Enter")

    questions = page.locator("#area-warning-signs-questions")
    expect(questions).to_be_visible()
    expect(show).to_be_hidden()
    # Focus on the first answer shown: No to the first warning sign, as filled.
    assert page.evaluate("document.activeElement.id") == "id_chest_pain_0"
    assert page.locator("#id_chest_pain_0").is_checked()
    page.locator("#id_fainting_1").click()  # Yes to fainting
    expect(page.get_by_role("button", name="Send my check-in now")).to_be_in_viewport()

    page.get_by_role("button", name="Send my check-in now").click()

    page.get_by_role("heading", name="Urgent: phone now").wait_for()
    saved = CheckIn.objects.get(patient=alice)
    assert saved.fainting is True and saved.chest_pain is False and saved.stools_per_day == 1
    page.close()


def test_an_older_usual_with_blanks_says_which_questions_are_left(chromium, server):
    from playwright.sync_api import expect

    make_alice()  # a usual of 4 answers, recorded before every one was required
    page = chromium.new_page(viewport=PHONE)
    from .conftest import log_in

    log_in(page, server, "alice")
    page.goto(f"{server.url}/check-in/")
    page.get_by_role("button", name="Fill in my usual answers").click()

    status = page.locator(".fill-all .as-usual-status")
    expect(status).to_contain_text(
        re.compile(r"^Filled in 4 answers with your usual and No to every warning sign\. ")
    )
    expect(status).to_contain_text("left for you to answer: Tummy pain, Feeling sick (nausea)")
    # Areas with a question left stay open; those answered fold.
    assert page.locator("#area-eating-and-sickness .area-questions").is_visible()
    expect(page.locator("#area-warning-signs")).to_have_class(re.compile("area-folded"))
    assert page.get_by_role("link", name="Complete my usual").is_visible()
    shot(page, "patient-as-usual-with-blanks-390")
    page.close()
