"""The Content Security Policy (django-csp): scripts and styles only from our own
files, and pages that need nothing else: no inline script, no <style> element, no
style attribute, no event-handler attribute. (tests/browser/test_csp.py loads
pages in Chromium and asserts that it blocked nothing.)"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from alerts.services import flagging
from patients.models import Flag

from .conftest import login
from .factories import UserFactory, add_member, make_check_in

HEADER = "Content-Security-Policy"


class InlineCode(HTMLParser):
    """Finds what a strict policy blocks: inline scripts, <style>, style= and on*= attributes."""

    def __init__(self):
        super().__init__()
        self.found = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
            data_only = attrs.get("type") in ("application/json", "application/ld+json")
            if not attrs.get("src") and not data_only:
                self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...> at line {self.getpos()[0]}")
        for name in ("href", "src", "action", "formaction"):
            if (attrs.get(name) or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...> at line {self.getpos()[0]}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def directives(response) -> dict[str, list[str]]:
    policy = response[HEADER]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.fixture
def flag(patient):
    check_in = make_check_in(patient, stools_per_day=9, headache=1)
    flagging.flag_check_in(check_in.pk)
    return Flag.objects.filter(check_in=check_in).first()


def assert_clean(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    assert HEADER in response, url
    assert inline_code(response.text) == [], url
    return response


# The policy


def test_the_policy_allows_nothing_inline(client, db):
    response = client.get(reverse("login"))

    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response[HEADER]
    assert "unsafe-eval" not in response[HEADER]
    assert "http" not in response[HEADER]  # no CDN, no other host


def test_every_kind_of_answer_has_the_header(client, patient):
    assert HEADER in client.get(reverse("login"))
    assert HEADER in client.get("/no-such-page/")  # 404
    assert HEADER in client.get(reverse("patients:home"))  # a redirect


# The pages


def test_the_pages_before_login_have_no_inline_code(client, db):
    for url in (
        reverse("login"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_complete"),
    ):
        assert_clean(client, url)


def test_the_lockout_page_has_no_inline_code(client, patient):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert HEADER in response
    assert inline_code(response.text) == []


def test_the_patients_pages_have_no_inline_code(patient_client, patient, flag):
    check_in = flag.check_in
    for url in (
        reverse("patients:home"),
        reverse("patients:check_in"),
        reverse("patients:check_ins"),
        reverse("patients:check_in_result", args=[check_in.pk]),
        reverse("patients:baseline"),
        reverse("patients:contacts"),
        reverse("patients:contacts") + "?card=1",
        reverse("patients:treatment"),
        reverse("patients:questions"),
        reverse("patients:reminders"),
        reverse("patients:carers"),
    ):
        assert_clean(patient_client, url)


def test_the_care_teams_pages_have_no_inline_code(nurse_client, patient, flag, team):
    for url in (
        reverse("alerts:queue"),
        reverse("alerts:queue") + "?partial=1",
        reverse("alerts:patient", args=[patient.pk]),
        reverse("alerts:flag", args=[flag.pk]),
        reverse("alerts:missed"),
        reverse("alerts:contacts", args=[team.pk]),
        reverse("alerts:figures", args=[team.pk]),
    ):
        assert_clean(nurse_client, url)


def test_the_contact_list_editor_has_no_inline_code(client, team):
    coordinator = UserFactory(username="cora")
    add_member(team, coordinator, role="coordinator")
    login(client, coordinator)

    assert_clean(client, reverse("alerts:edit_contacts", args=[team.pk]))


def test_the_contact_list_style_is_a_static_file(nurse_client, team):
    text = nurse_client.get(reverse("alerts:contacts", args=[team.pk])).text

    assert re.search(r'<link rel="stylesheet" href="/static/css/contacts\.css">', text)


def test_the_second_factor_pages_have_no_inline_code(client, team):
    newcomer = UserFactory(username="nell")
    add_member(team, newcomer)
    client.force_login(newcomer)  # the password only: no app yet

    assert_clean(client, reverse("two_factor:setup"))  # asks for the activation code
    from accounts.activation import activation_issue

    code = activation_issue(user=newcomer).code
    client.post(reverse("two_factor:setup"), {"activation": code})
    page = assert_clean(client, reverse("two_factor:setup"))
    assert "<svg" in page.text  # the QR code: inline SVG markup, which the policy allows

    from .conftest import second_factor

    second_factor(newcomer)
    assert_clean(client, reverse("two_factor:verify"))


def test_the_admin_has_no_inline_scripts(admin_client_, patient):
    for url in ("/admin/", reverse("admin:patients_patient_changelist")):
        response = admin_client_.get(url)
        assert response.status_code == 200
        assert HEADER in response
        assert [f for f in inline_code(response.text) if "script" in f] == []
