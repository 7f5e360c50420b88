"""Between the password and the code, a clinician sees no menu: not on the page that
asks for the code, nor on the pages that set up a first authenticator app; after the
code, the staff menu is there (issue 13, item 10)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.activation import activation_issue

from ..conftest import current_code, second_factor
from ..factories import PASSWORD, UserFactory, add_member
from .conftest import DESKTOP, PHONE, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"390": PHONE, "1280": DESKTOP}
STAFF_LINKS = {"Triage queue", "Missed check-ins", "Contacts", "Figures"}


@pytest.fixture
def team():
    return make_alice().care_team


def clinician(team, username, *, with_app):
    user = UserFactory(username=username, first_name="Nadia", last_name="Hughes")
    add_member(team, user)
    if with_app:
        second_factor(user)
    return user


def menu_links(page) -> set[str]:
    """The links of the main menu a person can reach, the phone's menu opened first
    (if it is not open already)."""
    page.wait_for_load_state("load")  # Bootstrap's script opens the menu
    nav = page.get_by_role("navigation", name="Main")
    toggler = nav.locator(".navbar-toggler")
    if toggler.count() and toggler.is_visible() and not nav.locator(".show").count():
        toggler.click()
        nav.locator(".navbar-collapse.show").wait_for()
    return {text.strip() for text in nav.locator(".navbar-nav a").all_inner_texts()}


def password(page, server, username):
    page.goto(f"{server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("width", VIEWPORTS)
def test_no_menu_until_the_code_is_given(chromium, server, team, width):
    user = clinician(team, f"nadia{width}", with_app=True)
    axe = AxeLog()
    page = chromium.new_page(viewport=VIEWPORTS[width])

    password(page, server, user.username)
    page.get_by_role("heading", name="Enter your code").wait_for()
    shot(page, f"two-factor-verify-{width}")
    assert page.locator(".navbar-toggler").count() == 0
    assert menu_links(page) == set()
    assert page.get_by_role("link", name="Triage queue").count() == 0
    axe.check(page, "verify")

    page.get_by_label("Code from your authenticator app").fill(
        current_code(TOTPDevice.objects.get(user=user))
    )
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Triage queue").wait_for()
    axe.check(page, "queue")  # first: it opens the phone's menu itself
    assert menu_links(page) >= STAFF_LINKS
    page.close()
    axe.assert_clean()


@pytest.mark.parametrize("width", VIEWPORTS)
def test_no_menu_while_a_first_app_is_set_up(chromium, server, team, width):
    user = clinician(team, f"nick{width}", with_app=False)
    axe = AxeLog()
    page = chromium.new_page(viewport=VIEWPORTS[width])

    password(page, server, user.username)
    page.get_by_label("Activation code").wait_for()
    shot(page, f"two-factor-activate-{width}")
    assert menu_links(page) == set()
    axe.check(page, "activation")

    page.get_by_label("Activation code").fill(activation_issue(user=user).code)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").wait_for()
    shot(page, f"two-factor-setup-{width}")
    assert menu_links(page) == set()
    axe.check(page, "setup")

    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(current_code(device))
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_role("heading", name="Triage queue").wait_for()
    assert menu_links(page) >= STAFF_LINKS
    page.close()
    axe.assert_clean()
