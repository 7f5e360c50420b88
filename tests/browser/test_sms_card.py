"""The patient's SMS card (issue 15): printed, one A4 page with every code; on
screen and printed, axe-core finds no serious or critical violation."""

import re

import pytest
from django.utils import timezone

from clinical.sms import CODES
from patients.models import Patient

from .conftest import DESKTOP, SCREENSHOTS, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sms_card_prints_on_one_a4_page(chromium, server):
    alice = make_alice()
    Patient.objects.filter(pk=alice.pk).update(
        mobile_number="+447700900123", sms_check_ins=True, mobile_confirmed_at=timezone.now()
    )
    axe = AxeLog()
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, server, "alice")
    page.goto(f"{server.url}/reminders/")
    page.get_by_role("link", name="your SMS card").click()
    shot(page, "sms-card-screen")
    axe.check(page, "SMS card")
    page.emulate_media(media="print")
    shot(page, "sms-card-print")
    card = page.locator("article.sms-card")
    text = card.inner_text()
    assert "In an emergency call 999; do not text." in text
    for code in CODES:
        assert card.get_by_role("rowheader", name=code, exact=True).count() == 1, code
    assert not page.locator("nav.navbar").is_visible()
    assert not page.get_by_role("button", name="Print this card").is_visible()
    axe.check(page, "SMS card printed")
    pdf = page.pdf(format="A4", print_background=True)
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "sms-card.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) == 1
    context.close()
    axe.assert_clean()
