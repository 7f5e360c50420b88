"""Home: after a check-in today that needs a call now, the page leads with whom to call."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.services.advice import advice_for

from ..conftest import login
from ..factories import make_check_in, make_flag

HOME = reverse("patients:home")


def urgent_box(text: str) -> str | None:
    found = re.search(r'<section class="advice advice-(\w+) mb-3".*?</section>', text, re.S)
    return found and found.group(0)


def test_without_a_check_in_today_home_asks_for_one(patient_client, patient):
    make_check_in(patient, at=timezone.now() - timedelta(days=1), stools_per_day=9, urgency="red")

    text = patient_client.get(HOME).text

    assert "Do today's check-in" in text
    assert urgent_box(text) is None  # yesterday's red is on its own page, not here


@pytest.mark.parametrize("urgency", ["green", "amber"])
def test_a_check_in_today_that_needs_no_call_now_is_a_line(patient_client, patient, urgency):
    make_check_in(patient, stools_per_day=3, urgency=urgency)

    text = patient_client.get(HOME).text

    assert "You checked in today at" in text
    assert urgent_box(text) is None


def test_after_a_red_check_in_home_leads_with_the_number_to_phone_now(patient_client, patient):
    check_in = make_check_in(patient, stools_per_day=9, urgency="red")
    on_duty = advice_for(patient, "red").contact

    text = patient_client.get(HOME).text

    box = urgent_box(text)
    assert box and 'class="advice advice-red' in box
    assert "Urgent: phone now" in box and "whatever the time" in box
    assert f'href="tel:{on_duty.phone.replace(" ", "")}"' in box
    assert reverse("patients:check_in_result", args=[check_in.pk]) in box
    assert text.index(box) < text.index("If you feel unwell")


def test_after_an_emergency_check_in_home_leads_with_the_emergency_number(
    patient_client, patient, settings
):
    settings.EMERGENCY_NUMBER = "112"
    make_check_in(patient, chest_pain=True, urgency="emergency")

    box = urgent_box(patient_client.get(HOME).text)

    assert box and "Emergency: call 112 now" in box and 'href="tel:112"' in box


def test_a_later_better_check_in_replaces_the_urgent_box_once_resolved(patient_client, patient):
    earlier = timezone.now() - timedelta(minutes=30)
    red = make_check_in(patient, at=earlier, stools_per_day=9, urgency="red", evaluated_at=earlier)
    make_flag(red, status="resolved", resolved_at=timezone.now())  # issue 13, item 2
    make_check_in(patient, stools_per_day=1, urgency="green")

    assert urgent_box(patient_client.get(HOME).text) is None


def test_a_carer_is_told_about_the_patients_check_in(client, patient, carer):
    make_check_in(patient, stools_per_day=9, urgency="red")
    login(client, carer)

    box = urgent_box(client.get(HOME).text)

    assert box and "Alice's check-in at" in box and "Your check-in" not in box
