"""Shared by the browser tests: the people they use, and axe-core's check."""

from pathlib import Path

import axe_playwright_python

from ..factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    london_contact_list,
)

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)


def make_alice():
    """Alice Morgan, on pembrolizumab, with a usual recorded, in a London team."""
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(
        care_team=team, user=UserFactory(username="alice", first_name="Alice", last_name="Morgan")
    )
    TreatmentFactory(patient=patient, medicines="pembrolizumab")
    BaselineFactory(patient=patient, stools_per_day=1, fatigue=1, wellbeing=8, joint_pain=0)
    return patient


def axe_violations(page):
    """The serious and critical WCAG 2.1 A/AA violations on the page as it stands.

    axe-core comes from the axe-playwright-python package (its bundled axe.min.js,
    never a CDN), evaluated in the page through DevTools. Transitions are switched
    off first (axe would otherwise read colours half-way through one), and on a
    phone the collapsed menu is opened so its links are checked too."""
    # Through DevTools, not as inline <style>/<script> tags: the site's CSP blocks those.
    page.evaluate(
        "css => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);"
        " document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }",
        NO_TRANSITIONS,
    )
    toggler = page.locator(".navbar-toggler")
    if toggler.count() and toggler.is_visible():
        toggler.click()
        page.locator(".navbar-collapse.show").wait_for()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text())
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


class AxeLog:
    """Collects axe-core findings page by page; the test asserts none at the end,
    so that one run reports every page that fails, not only the first."""

    def __init__(self):
        self.failures = []

    def check(self, page, name):
        found = axe_violations(page)
        if found:
            self.failures.append(describe(f"{name} ({page.url})", found))

    def assert_clean(self):
        assert not self.failures, "axe-core serious/critical violations:\n" + "\n".join(
            self.failures
        )
