"""A carer of two patients lands on 'Whom are you helping today?': an open emergency of
one of them leads that page too (issue 13, item 2), its call button on the first
screen, at phone and desktop widths; axe-core clean; screenshots in screenshots/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from patients.models import Carer

from ..factories import PatientFactory, UserFactory, make_check_in
from .conftest import DESKTOP, PHONE, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cara():
    """Cara helps Alice and Gus; Gus reported chest pain five minutes ago."""
    alice = make_alice()
    gus = PatientFactory(
        care_team=alice.care_team, user=UserFactory(username="gus", first_name="Gus")
    )
    cara = UserFactory(username="cara", first_name="Cara", last_name="Morgan")
    for patient in (alice, gus):
        Carer.objects.create(
            patient=patient, name="Cara", email=cara.email, user=cara, accepted_at=timezone.now()
        )
    make_check_in(
        gus, at=timezone.now() - timedelta(minutes=5), chest_pain=True, urgency="emergency"
    )
    return cara


@pytest.mark.parametrize("width, viewport", [("390", PHONE), ("1280", DESKTOP)])
def test_the_choice_leads_with_the_emergency_of_one_of_them(
    chromium, server, cara, width, viewport
):
    page = chromium.new_page(viewport=viewport)
    log_in(page, server, "cara")
    page.get_by_role("heading", name="Whom are you helping today?").wait_for()

    alarm = page.locator("section[id^=open-alarm-]")
    assert alarm.get_by_role("heading", level=2).inner_text() == "Gus: emergency, call 999 now"
    call = alarm.get_by_role("link", name="Call 999")
    box = call.bounding_box()
    assert box["y"] + box["height"] <= viewport["height"], f"below the fold: {box}"
    shot(page, f"carer-choose-open-emergency-{width}")
    page.screenshot(path=f"/tmp/carer-choose-open-emergency-{width}.png")
    axe = AxeLog()
    axe.check(page, f"carer's choice with an open emergency @{width}")

    alarm.get_by_role("button", name="Open Gus's pages").click()
    page.locator("#open-alarm").get_by_role("link", name="Call 999").wait_for()
    page.close()
    axe.assert_clean()
