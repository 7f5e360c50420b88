"""The core loop in a real browser (Debian's Chromium, driven by Playwright).

A patient logs in on a phone-sized screen, sends a check-in with 9 stools
against a usual of 1, and is told to phone the on-duty contact now; the nurse
sees the flag in the triage queue. Screenshots go to screenshots/.
"""

import re

import pytest
from django.utils import timezone

from alerts.services import flagging
from patients.models import Flag
from patients.services import advice

from ..factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    add_member,
    london_contact_list,
    make_check_in,
)
from .conftest import DESKTOP, PHONE, log_in, shot
from .helpers import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_is_told_to_phone_now_and_the_nurse_sees_the_flag(chromium, server):
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(care_team=team, user=UserFactory(username="alice", first_name="Alice"))
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient, stools_per_day=1)
    nurse = UserFactory(username="nadia", first_name="Nadia")
    add_member(team, nurse)
    on_duty = advice.route_for(patient, "red", timezone.now()).contact

    page = chromium.new_page(viewport=PHONE)
    log_in(page, server, "alice")
    shot(page, "patient-dashboard-390")
    page.get_by_role("link", name="Do today's check-in").click()
    page.get_by_label(re.compile("opened your bowels")).fill("9")
    shot(page, "patient-check-in-390")
    page.get_by_role("button", name="Send my check-in").click()

    page.get_by_role("heading", name="Urgent: phone now").wait_for()
    call = page.get_by_role("link", name=re.compile(r"^Call \d"))
    first_call = call.first
    expected_phone = team.contacts.get(pk=on_duty.ref).phone
    assert first_call.get_attribute("href") == "tel:" + expected_phone.replace(" ", "")
    assert page.get_by_text("Do not start any new medicines").is_visible()
    shot(page, "patient-advice-red-390")
    page.close()

    # The worker's job (run eagerly in this process when the check-in committed).
    flag = Flag.objects.get(check_in__patient=patient)
    assert (flag.symptom, flag.urgency) == ("stools_per_day", "red")

    desk = chromium.new_page(viewport=DESKTOP)
    log_in(desk, server, "nadia")
    desk.get_by_role("heading", name="Triage queue").wait_for()
    row = desk.get_by_role("row", name="stools 9/day vs baseline 1/day")
    assert row.is_visible()
    shot(desk, "nurse-queue-1280")
    row.get_by_role("link", name="Stools").click()
    desk.get_by_role("button", name="Acknowledge").wait_for()
    # While the page is open, Alice checks in again, worse: it joins the episode.
    later = make_check_in(patient, stools_per_day=12)
    flagging.flag_check_in(later.pk)
    desk.get_by_role("button", name="Acknowledge").click()
    warning = desk.get_by_role("alert").filter(has_text="Not acknowledged")
    warning.wait_for()
    assert "1 new check-in joined this episode after you opened the page" in warning.inner_text()
    assert desk.get_by_text("stools 12/day vs baseline 1/day").first.is_visible()
    shot(desk, "nurse-flag-joined-1280")
    flag.refresh_from_db()
    assert flag.status == "open"
    desk.get_by_role("button", name="Acknowledge").click()  # having read it
    desk.get_by_text("Acknowledged: escalation has stopped").wait_for()
    shot(desk, "nurse-flag-1280")
    flag.refresh_from_db()
    assert flag.status == "acknowledged" and flag.acknowledged_by == nurse

    # The patient's page: the episode waiting, her charts, her check-ins, her past.
    desk.get_by_role("link", name=re.compile("Alice")).first.click()
    desk.get_by_role("heading", name="Waiting for the team").wait_for()
    waiting = desk.locator(".waiting")
    assert "2 check-ins since" in waiting.inner_text()
    assert desk.locator("#chart-stools_per_day svg").is_visible()
    assert desk.get_by_role("heading", name=re.compile("Past episodes")).is_visible()
    assert desk.get_by_role(
        "heading", name=re.compile(r"Check-ins of the last 30 days")
    ).is_visible()
    shot(desk, "nurse-patient-1280")
    violations = axe_violations(desk)
    assert not violations, describe("the nurse's patient page", violations)
    desk.close()
