"""axe-core on every patient and carer page, at phone and desktop widths, each one
photographed into screenshots/ (issue 4, acceptances 2 and 3).

axe-core comes from the axe-playwright-python package (its bundled axe.min.js,
injected as a script tag; never a CDN). Each page is checked against the WCAG 2.1
A and AA rules, and any violation whose impact is serious or critical fails the
test with its rule, help text and the elements it was found on.
"""

import pytest
from django.utils import timezone

from alerts.services import flagging
from patients.invitations import carer_invitation_url, patient_invitation_url
from patients.models import Carer

from ..factories import PatientFactory, UserFactory, make_check_in
from .conftest import DESKTOP, PHONE, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"390": PHONE, "1280": DESKTOP}


@pytest.fixture
def alice():
    return make_alice()


def open_check_in_with_an_error(page, url):
    """The check-in form sent back with a temperature no thermometer would read."""
    page.goto(f"{url}/check-in/")
    page.evaluate(
        """() => {
            const field = document.querySelector('[name="temperature_c"]');
            field.value = '50';
            field.form.noValidate = true;
        }"""
    )
    page.get_by_role("button", name="Send my check-in").click()
    page.locator(".invalid-feedback").first.wait_for()


def open_check_in_filled_in(page, url):
    """The check-in form with the usual answers ticked and one warning sign answered yes,
    so the ticked (filled) colours of the choices are checked too."""
    page.goto(f"{url}/check-in/")
    page.get_by_role("button", name="Fill in my usual answers").click()
    page.get_by_role("button", name="Show the warning signs").click()  # folded by "as usual"
    page.locator("#id_fainting_1").check()


def judged(check_in):
    """A check-in as the worker leaves it: its verdict, its flags and its alert, so
    that each result page shows its own urgency and the charts their flag marks."""
    flagging.flag_check_in(check_in.pk)
    check_in.refresh_from_db()
    return check_in


def visit(page, server, name, target):
    if callable(target):
        target(page, server.url)
    else:
        response = page.goto(f"{server.url}{target}")
        assert response.ok, f"{name}: {target} answered {response.status}"


def patient_pages(alice) -> dict:
    """Every patient page by name: a path, a function that opens it, or None for the
    friendly 404 of someone else's record. Makes the check-ins and carer they show."""
    results = {
        urgency: judged(make_check_in(alice, **answers)).pk
        for urgency, answers in {
            "green": {},
            "amber": {"stools_per_day": 3},
            "red": {"stools_per_day": 9},
            "emergency": {"chest_pain": True},
        }.items()
    }
    Carer.objects.create(patient=alice, name="Sam Carter", email="sam@example.org")
    return {
        "home": "/",
        "welcome": "/welcome/",
        "baseline": "/baseline/",
        "check-in": "/check-in/",
        "check-in-filled-in": open_check_in_filled_in,
        "check-in-error": open_check_in_with_an_error,
        **{f"result-{urgency}": f"/check-ins/{pk}/" for urgency, pk in results.items()},
        "my-check-ins": "/check-ins/",
        "contacts": "/contacts/",
        "contacts-welcome": "/contacts/?welcome=1",
        "contacts-card": "/contacts/?card=1",
        "treatment": "/treatment/",
        "questions": "/questions/",
        "reminders": "/reminders/",
        "carers": "/carers/",
        "not-found": None,
    }


def open_page(page, server, name, target):
    if target is None:  # someone else's record: the friendly 404 page
        page.goto(f"{server.url}/check-ins/999999/")
    else:
        visit(page, server, name, target)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_no_serious_or_critical_axe_violations_on_patient_pages(chromium, server, alice, width):
    """Every patient page, checked by axe and photographed (screenshots/patient-*)."""
    pages = patient_pages(alice)

    axe = AxeLog()
    page = chromium.new_page(viewport=VIEWPORTS[width])
    page.goto(f"{server.url}/login/")
    shot(page, f"login-{width}")
    axe.check(page, f"login @{width}")
    log_in(page, server, "alice")
    page.wait_for_url(f"{server.url}/")
    for name, target in pages.items():
        open_page(page, server, name, target)
        shot(page, f"patient-{name}-{width}")
        axe.check(page, f"{name} @{width}")
    page.close()
    axe.assert_clean()


@pytest.mark.parametrize("width", VIEWPORTS)
def test_no_serious_or_critical_axe_violations_on_carer_pages(chromium, server, alice, width):
    """Every page a carer sees, and the invitation pages before logging in
    (screenshots/carer-*)."""
    invited = Carer.objects.create(patient=alice, name="Sam Carter", email="sam@example.org")
    cara = UserFactory(username="cara", first_name="Cara", last_name="Morgan")
    Carer.objects.create(
        patient=alice, name="Cara", email=cara.email, user=cara, accepted_at=timezone.now()
    )
    red = judged(make_check_in(alice, stools_per_day=9))
    newcomer = UserFactory(username="fay", first_name="Fay")
    newcomer.set_unusable_password()
    newcomer.save()
    PatientFactory(care_team=alice.care_team, user=newcomer)

    axe = AxeLog()
    page = chromium.new_page(viewport=VIEWPORTS[width])
    anonymous = {
        "accept-invitation": local(carer_invitation_url(invited), server),
        "accept-invalid": "/carer/accept/not-a-token/",
        "welcome-set-password": local(patient_invitation_url(newcomer.patient), server),
        "welcome-link-used": "/welcome/MQ/set-password/",
    }
    for name, target in anonymous.items():
        page.goto(f"{server.url}{target}")
        shot(page, f"carer-{name}-{width}" if "accept" in name else f"patient-{name}-{width}")
        axe.check(page, f"{name} @{width}")
    log_in(page, server, "cara")
    page.wait_for_url(f"{server.url}/")
    pages = {
        "home": "/",
        "check-in": "/check-in/",
        "result-red": f"/check-ins/{red.pk}/",
        "check-ins": "/check-ins/",
        "contacts": "/contacts/",
        "contacts-card": "/contacts/?card=1",
    }
    for name, target in pages.items():
        visit(page, server, name, target)
        shot(page, f"carer-{name}-{width}")
        axe.check(page, f"carer {name} @{width}")
    Carer.objects.filter(user=cara).update(revoked_at=timezone.now())
    page.goto(f"{server.url}/")
    page.get_by_role("heading", name="Your access has ended").wait_for()
    shot(page, f"carer-access-ended-{width}")
    axe.check(page, f"carer access ended @{width}")
    page.close()
    axe.assert_clean()


def local(url, server):
    """An emailed link (built on SITE_URL) as a path on the test server."""
    return "/" + url.split("/", 3)[3]


# Zoom and reflow (WCAG 2.1 1.4.4 and 1.4.10). Chromium at 200 % zoom on a
# 1280 x 800 screen lays a page out in 640 x 400 CSS pixels at two device pixels
# each; at 400 % (the reflow criterion) in 320 CSS pixels.
ZOOMS = {
    "200": ({"width": 640, "height": 400}, 2),
    "400": ({"width": 320, "height": 200}, 4),
}

SPILLS = """() => {
    const width = document.documentElement.clientWidth;
    const spilled = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (!box.width || !box.height || el.closest('.visually-hidden, svg')) continue;
        if (box.right > width + 1 || box.left < -1) {
            const text = (el.innerText || el.value || '').trim().slice(0, 40);
            spilled.push(`${el.tagName.toLowerCase()}.${el.className} "${text}"`);
        }
    }
    return {scrollWidth: document.documentElement.scrollWidth, width, spilled};
}"""


@pytest.mark.parametrize("zoom", ZOOMS)
def test_every_patient_page_reflows_at_200_and_400_percent_zoom(chromium, server, alice, zoom):
    """Nothing scrolls sideways or spills past the screen's edge, so no word is cut
    off (screenshots/zoom-200-*; at 400 % the check alone, the pictures being huge)."""
    pages = patient_pages(alice)
    viewport, scale = ZOOMS[zoom]
    page = chromium.new_page(viewport=viewport, device_scale_factor=scale)
    log_in(page, server, "alice")
    page.wait_for_url(f"{server.url}/")
    wrong = []
    for name, target in pages.items():
        open_page(page, server, name, target)
        if zoom == "200":
            shot(page, f"zoom-200-patient-{name}")
        found = page.evaluate(SPILLS)
        if found["scrollWidth"] > found["width"] or found["spilled"]:
            wrong.append(f"{name}: {found}")
    page.close()
    assert not wrong, f"at {zoom} %:\n" + "\n".join(wrong)
