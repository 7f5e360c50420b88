"""Real-browser fixtures: Debian's Chromium driven by Playwright, and the live server."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from accounts.two_factor import needs_second_factor

from ..conftest import current_code, second_factor, skip_or_fail
from ..factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)", "REQUIRE_BROWSER")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed", "REQUIRE_BROWSER")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make between pages are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield BritishBrowser(browser)
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class BritishBrowser:
    """The browser, its pages in British English unless a test asks for another
    locale: the app follows the browser's Accept-Language, and Playwright's default
    is en-US."""

    def __init__(self, browser):
        self._browser = browser

    def new_page(self, **options):
        return self._browser.new_page(**{"locale": "en-GB", **options})

    def new_context(self, **options):
        return self._browser.new_context(**{"locale": "en-GB", **options})

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="module")
def server(request):
    """The session's live server over plain HTTP. SecurityMiddleware reads the
    redirect setting when the server's handler is built, so it is overridden first;
    the server's host is allowed again for each module (the override that added it
    when the server started may have been undone since)."""
    with override_settings(SECURE_SSL_REDIRECT=False):
        live = request.getfixturevalue("live_server")
        hosts = [*settings.ALLOWED_HOSTS, urlsplit(live.url).hostname]
        with override_settings(ALLOWED_HOSTS=hosts):
            yield live


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, server, username):
    """The password; then, for a clinician or an admin, the code their authenticator
    app shows (an app is set up for them first if they have none)."""
    user = get_user_model().objects.get(username=username)
    device = second_factor(user) if needs_second_factor(user) else None
    page.goto(f"{server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if device is not None:
        page.get_by_role("heading", name="Enter your code").wait_for()
        page.get_by_label("Code from your authenticator app").fill(current_code(device))
        page.get_by_role("button", name="Continue").click()
