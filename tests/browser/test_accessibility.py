"""axe-core on every patient page, at phone and desktop widths (issue 4, acceptance 2).

axe-core comes from the axe-playwright-python package (its bundled axe.min.js,
injected as a script tag; never a CDN). Each page is checked against the WCAG 2.1
A and AA rules, and any violation whose impact is serious or critical fails the
test with its rule, help text and the elements it was found on.
"""

from pathlib import Path

import axe_playwright_python
import pytest

from ..factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    london_contact_list,
    make_check_in,
)
from .conftest import DESKTOP, PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
VIEWPORTS = {"390": PHONE, "1280": DESKTOP}


NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)


def axe_violations(page):
    """The serious and critical WCAG 2.1 A/AA violations on the page as it stands.

    Transitions are switched off first (axe would otherwise read colours half-way
    through one), and on a phone the collapsed menu is opened so its links are
    checked too."""
    page.add_style_tag(content=NO_TRANSITIONS)
    toggler = page.locator(".navbar-toggler")
    if toggler.count() and toggler.is_visible():
        toggler.click()
        page.locator(".navbar-collapse.show").wait_for()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_21_AA,
    )
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(name, violations):
    lines = [f"{name}:"]
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    - {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


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
    page.locator("#id_fainting_1").check()


@pytest.mark.parametrize("width", VIEWPORTS)
def test_no_serious_or_critical_axe_violations_on_patient_pages(chromium, server, alice, width):
    results = {
        urgency: make_check_in(alice, **answers).pk
        for urgency, answers in {
            "green": {},
            "amber": {"stools_per_day": 3},
            "red": {"stools_per_day": 9},
            "emergency": {"chest_pain": True},
        }.items()
    }
    pages = {
        "home": "/",
        "baseline": "/baseline/",
        "check-in": "/check-in/",
        "check-in-filled-in": open_check_in_filled_in,
        "check-in-error": open_check_in_with_an_error,
        **{f"result-{urgency}": f"/check-ins/{pk}/" for urgency, pk in results.items()},
        "my-check-ins": "/check-ins/",
        "contacts": "/contacts/",
        "contacts-card": "/contacts/?card=1",
        "treatment": "/treatment/",
        "questions": "/questions/",
        "reminders": "/reminders/",
    }

    failures = []
    page = chromium.new_page(viewport=VIEWPORTS[width])
    page.goto(f"{server.url}/login/")
    found = axe_violations(page)
    if found:
        failures.append(describe(f"login @{width}", found))
    log_in(page, server, "alice")
    page.wait_for_url(f"{server.url}/")
    for name, target in pages.items():
        if callable(target):
            target(page, server.url)
        else:
            response = page.goto(f"{server.url}{target}")
            assert response.ok, f"{name}: {target} answered {response.status}"
        found = axe_violations(page)
        if found:
            failures.append(describe(f"{name} ({page.url}) @{width}", found))
    page.close()
    assert not failures, "axe-core serious/critical violations:\n" + "\n".join(failures)
