"""'My check-ins' on a phone (issue 13, item 12): warning signs nobody reported are one
line, symptoms at the usual all window long are one line, and the list of check-ins
starts on the first screen or so. A sign reported yes keeps its chart. For the patient
and for her carer, at 390 and 1280 px; axe-core clean; screenshots in screenshots/.
The page's height and where the list starts are printed (run with -s to see them)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.catalogue import BASELINE_ITEMS, ITEMS, YESNO
from patients.models import Carer

from ..factories import UserFactory, make_check_in
from .conftest import DESKTOP, PHONE, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORDINARY_DAYS = 14
LIST_STARTS_WITHIN = 1000  # px from the top of the page, at 390 x 844


@pytest.fixture
def alice():
    """Alice with a usual for every item and two weeks of ordinary days: each item
    at her usual, every warning sign no. Her carer Cara logs in as 'cara'."""
    patient = make_alice()
    usual = {item.key: 0 for item in BASELINE_ITEMS} | {
        "stools_per_day": 1,
        "fatigue": 1,
        "wellbeing": 8,
    }
    patient.baselines.update(**usual)
    signs = {item.key: False for item in ITEMS if item.kind == YESNO}
    now = timezone.now()
    for n in range(ORDINARY_DAYS, 0, -1):
        make_check_in(patient, at=now - timedelta(days=n), **usual, **signs)
    cara = UserFactory(username="cara", first_name="Cara", last_name="Morgan")
    Carer.objects.create(patient=patient, name="Cara", email=cara.email, user=cara, accepted_at=now)
    return patient


def measure(page) -> tuple[int, int]:
    """The page's height and the y of the list's heading, in CSS pixels."""
    height = page.evaluate("document.documentElement.scrollHeight")
    heading = page.get_by_role("heading", name="Check-ins, newest first")
    top = page.evaluate(
        "e => e.getBoundingClientRect().top + window.scrollY", heading.element_handle()
    )
    return int(height), int(top)


def chart_ids(page) -> list[str]:
    return page.locator("figure.chart").evaluate_all("fs => fs.map(f => f.id)")


@pytest.mark.parametrize("who", ["alice", "cara"])
@pytest.mark.parametrize("width, viewport", [("390", PHONE), ("1280", DESKTOP)])
def test_ordinary_days_put_the_list_on_the_first_screen(
    chromium, server, alice, who, width, viewport
):
    page = chromium.new_page(viewport=viewport)
    log_in(page, server, who)
    page.goto(f"{server.url}/check-ins/")

    height, list_y = measure(page)
    print(f"\n{who} @{width}: page {height} px tall, list starts at y={list_y} px")
    shot(page, f"{'patient' if who == 'alice' else 'carer'}-check-ins-ordinary-{width}")
    page.screenshot(path=f"/tmp/check-ins-ordinary-{who}-{width}.png")  # the first screen
    name = "you" if who == "alice" else "Alice"
    summary = page.locator("#quiet-signs")
    assert summary.is_visible()
    assert summary.inner_text().startswith("No warning signs reported in the last 30 days"), (
        summary.inner_text()
    )
    assert "chest pain" in summary.inner_text().lower()
    assert page.locator("#usual-items").is_visible()
    assert chart_ids(page) == [], f"{name}: charts of ordinary days: {chart_ids(page)}"
    if width == "390":
        assert list_y <= LIST_STARTS_WITHIN, f"the list starts at {list_y} px"
    axe = AxeLog()
    axe.check(page, f"{who} check-ins, ordinary days @{width}")
    page.close()
    axe.assert_clean()


@pytest.mark.parametrize("who", ["alice", "cara"])
@pytest.mark.parametrize("width, viewport", [("390", PHONE), ("1280", DESKTOP)])
def test_a_warning_sign_reported_yes_keeps_its_chart(chromium, server, alice, who, width, viewport):
    make_check_in(
        alice, at=timezone.now() - timedelta(hours=30), stool_blood_or_mucus=True, stools_per_day=5
    )
    page = chromium.new_page(viewport=viewport)
    log_in(page, server, who)
    page.goto(f"{server.url}/check-ins/")

    height, list_y = measure(page)
    print(f"\n{who} @{width}, blood reported: page {height} px tall, list starts at y={list_y} px")
    shot(page, f"{'patient' if who == 'alice' else 'carer'}-check-ins-warning-sign-{width}")
    page.screenshot(path=f"/tmp/check-ins-warning-sign-{who}-{width}.png")
    assert chart_ids(page) == ["my-chart-stools_per_day", "my-chart-stool_blood_or_mucus"]
    blood = page.locator("#my-chart-stool_blood_or_mucus figcaption").inner_text()
    assert "yes on" in blood, blood
    others = page.locator("#quiet-signs").inner_text()
    assert "chest pain" in others.lower() and "blood" not in others.lower(), others
    axe = AxeLog()
    axe.check(page, f"{who} check-ins, a warning sign @{width}")
    page.close()
    axe.assert_clean()
