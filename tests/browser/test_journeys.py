"""Whole journeys in a real browser (Debian's Chromium), as patients and carers make them.

- A new patient: the invitation link, a password, why the usual matters, the usual,
  who to phone; then a check-in with a red finding and advice with a working tel: link.
- A carer: invited by email, makes an account, checks in for the patient, and loses
  access the moment the patient removes it.
- The American English variant: spelling, and °F first.
axe-core checks each page on the way.
"""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from patients.invitations import patient_invitation_url
from patients.models import Baseline, Carer, CheckIn
from patients.services import advice

from ..factories import PatientFactory, UserFactory
from .conftest import DESKTOP, PHONE, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-new-password-7"


def local(url):
    """An emailed link (built on SITE_URL) as a path on the test server."""
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def alice():
    return make_alice()


def test_from_the_invitation_to_red_advice_with_a_working_phone_link(chromium, server, alice):
    team = alice.care_team
    user = UserFactory(username="fay", first_name="Fay", last_name="Osei")
    user.set_unusable_password()
    user.save()
    fay = PatientFactory(care_team=team, user=user)
    on_duty = advice.route_for(fay, "red", timezone.now()).contact
    expected_phone = team.contacts.get(pk=on_duty.ref).phone.replace(" ", "")
    axe = AxeLog()
    page = chromium.new_page(viewport=PHONE)

    # The link from the invitation email: choose a password.
    page.goto(server.url + local(patient_invitation_url(fay)))
    page.get_by_role("heading", name="Welcome, Fay").wait_for()
    axe.check(page, "set password")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()

    # Why the usual matters, then the usual, grouped by body area.
    page.get_by_role("heading", name="Before your first check-in: your usual").wait_for()
    shot(page, "journey-first-visit-390")
    axe.check(page, "first visit")
    page.get_by_role("link", name="Start: tell us your usual").click()
    page.get_by_role("heading", name="My usual (baseline)").wait_for()
    page.get_by_label("On a typical day, how many times do you open your bowels?").fill("1")
    page.get_by_role("group", name=re.compile("Tiredness")).get_by_role(
        "radio", name="Mild"
    ).check()
    # Every item has an answer in a usual: none (the first choice) for the rest.
    for choice in page.locator("input[type=radio][value='0']:not([name=fatigue])").all():
        choice.check()
    page.get_by_label(re.compile("how well do you usually feel")).fill("8")
    axe.check(page, "baseline")
    page.get_by_role("button", name="Save my usual").click()

    # Then who to phone.
    page.get_by_text("Last step: here is who to phone").wait_for()
    assert page.get_by_role("link", name=re.compile(r"^Call \d")).count() >= 2
    axe.check(page, "contacts after the usual")
    shot(page, "journey-who-to-phone-390")
    baseline = Baseline.objects.get(patient=fay)
    assert (baseline.stools_per_day, baseline.fatigue, baseline.nausea) == (1, 1, 0)

    # A check-in with a red finding: 9 stools against a usual of 1.
    page.get_by_role("link", name="Go to my page").click()
    page.get_by_role("link", name="Do today's check-in").click()
    page.get_by_label(re.compile("opened your bowels")).fill("9")
    page.get_by_role("button", name="Send my check-in").click()
    page.get_by_role("heading", name="Urgent: phone now").wait_for()
    call = page.get_by_role("link", name=re.compile(r"^Call \d")).first
    assert call.get_attribute("href") == f"tel:{expected_phone}"
    box = call.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 0.7 * PHONE["width"]  # large, on a phone
    axe.check(page, "red advice")
    shot(page, "journey-red-advice-390")
    assert CheckIn.objects.get(patient=fay).urgency == "red"
    page.close()
    axe.assert_clean()


def accept_link():
    body = mail.outbox[-1].body
    return local(re.search(r"https?://\S+/carer/accept/\S+/", body).group(0))


def test_a_carer_is_invited_checks_in_for_the_patient_and_loses_access(chromium, server, alice):
    axe = AxeLog()
    # Alice, at her computer, invites Sam.
    desk = chromium.new_page(viewport=DESKTOP)
    log_in(desk, server, "alice")
    desk.get_by_role("link", name="People who help me").first.click()
    desk.get_by_label("Their name").fill("Sam Carter")
    desk.get_by_label("Their email address").fill("sam@example.org")
    desk.get_by_role("button", name="Send the invitation").click()
    desk.get_by_text("We have emailed Sam Carter a link").wait_for()
    axe.check(desk, "carers, invited")
    assert mail.outbox[-1].to == ["sam@example.org"]

    # Sam, on a phone, opens the link and makes an account.
    phone = chromium.new_context(viewport=PHONE).new_page()
    phone.goto(server.url + accept_link())
    phone.get_by_role("heading", name="Alice has asked you to help").wait_for()
    axe.check(phone, "accept")
    phone.get_by_label("Your name").fill("Sam Carter")
    phone.get_by_label("Choose a password").fill(NEW_PASSWORD)
    phone.get_by_label("The same password again").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Accept and make my account").click()
    phone.get_by_role("heading", name="Helping Alice Morgan").wait_for()
    axe.check(phone, "carer home")

    # Sam checks in for Alice: a red finding, and the advice to phone.
    phone.get_by_role("link", name="Check in for Alice").last.click()
    phone.get_by_text("You are checking in").wait_for()
    phone.get_by_label(re.compile("opened your bowels")).fill("9")
    phone.get_by_role("button", name="Send Alice's check-in").click()
    phone.get_by_role("heading", name="Urgent: phone now").wait_for()
    assert (
        phone.get_by_role("link", name=re.compile(r"^Call \d"))
        .first.get_attribute("href")
        .startswith("tel:")
    )
    axe.check(phone, "carer red advice")
    shot(phone, "journey-carer-red-advice-390")
    saved = CheckIn.objects.get(patient=alice)
    assert (saved.entered_by, saved.entered_by_user.username) == ("carer", "sam@example.org")

    # Alice sees who entered it, then removes Sam's access.
    desk.goto(f"{server.url}/check-ins/")
    desk.get_by_text("Entered by Sam Carter (carer).").wait_for()
    desk.goto(f"{server.url}/carers/")
    desk.get_by_role("button", name="Remove access for Sam Carter").click()
    desk.get_by_text("Sam Carter can no longer see your records").wait_for()
    shot(desk, "journey-carer-removed-1280")

    # Sam's next step shows nothing of Alice.
    phone.goto(f"{server.url}/check-ins/")
    phone.get_by_role("heading", name="We cannot show you this page").wait_for()
    assert "Alice" not in phone.content()
    phone.goto(f"{server.url}/")
    phone.get_by_role("heading", name="Your access has ended").wait_for()
    axe.check(phone, "access ended")
    assert Carer.objects.get(patient=alice).status == "revoked"
    axe.assert_clean()


def test_american_english_spelling_and_fahrenheit(chromium, server, alice):
    axe = AxeLog()
    context = chromium.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    log_in(page, server, "alice")
    assert page.locator("html").get_attribute("lang") == "en-US"
    page.get_by_role("link", name="Do today's check-in").click()
    page.get_by_text("How many bowel movements have you had in the last 24 hours?").wait_for()
    assert page.get_by_role("heading", name="Bowels and stomach").is_visible()
    assert page.locator("#id_temperature_unit_f").is_checked()
    page.get_by_label(re.compile("Your temperature")).fill("100.4")
    shot(page, "patient-check-in-american-390")
    axe.check(page, "check-in en-US")
    page.get_by_role("button", name="Send my check-in").click()
    page.get_by_role("heading", name=re.compile("Phone your team today|Urgent")).wait_for()
    assert page.get_by_text("anti-diarrhea pills").is_visible()
    assert "diarrhoea" not in page.content()
    assert CheckIn.objects.get(patient=alice).temperature_c == Decimal("38.0")
    shot(page, "patient-advice-american-390")

    # Back to British English with the switch on every page.
    page.get_by_role("button", name="UK English").click()
    page.get_by_text("anti-diarrhoea tablets").wait_for()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    axe.assert_clean()
    context.close()


def test_the_text_size_control_enlarges_the_page(chromium, server, alice):
    page = chromium.new_page(viewport=PHONE)
    log_in(page, server, "alice")
    before = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("button", name="Larger").click()
    page.wait_for_load_state()
    after = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert after >= before * 1.3
    assert page.get_by_role("button", name="Larger").get_attribute("aria-pressed") == "true"
    # Nothing is wider than the phone's screen at the largest size.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{server.url}/check-in/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "patient-check-in-larger-text-390")
