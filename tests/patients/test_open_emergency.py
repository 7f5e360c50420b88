"""An open emergency is never followed by an all-clear (issue 13, item 2): while a red
or emergency check-in of the last 24 hours is not resolved, the check-in result
page and home, for the patient and their carer, lead with what to do about it (an
emergency before a red, then the newest) and say when the team saw it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Flag
from patients.services.advice import advice_for
from patients.services.open_alarm import open_alarm_for

from ..conftest import login
from ..factories import make_check_in, make_flag

HOME = reverse("patients:home")
ALL_CLEAR = "Thank you: nothing new to report"


def result(check_in) -> str:
    return reverse("patients:check_in_result", args=[check_in.pk])


def alarm_box(text: str) -> str | None:
    found = re.search(r'<section [^>]*id="open-alarm".*?</section>', text, re.S)
    return found and found.group(0)


def chest_pain(patient, minutes_ago=1, **fields):
    """An emergency check-in the worker has not evaluated yet (the request's verdict)."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return make_check_in(patient, at=at, chest_pain=True, urgency="emergency", **fields)


def diarrhoea(patient, minutes_ago=1, **fields):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return make_check_in(patient, at=at, stools_per_day=9, urgency="red", **fields)


def evaluated(check_in, symptom, urgency, **state):
    """The check-in as the worker leaves it: evaluated, with its flag in `state`."""
    type(check_in).objects.filter(pk=check_in.pk).update(evaluated_at=check_in.submitted_at)
    return make_flag(check_in, symptom, urgency, **state)


@pytest.fixture
def carer_client(client, carer):
    return login(client, carer)


# The check-in result page


def test_a_later_green_check_in_leads_with_the_open_emergency(patient_client, patient):
    emergency = chest_pain(patient)
    green = make_check_in(patient)

    text = patient_client.get(result(green)).text

    box = alarm_box(text)
    assert box and "Emergency: call 999 now" in box and 'href="tel:999"' in box
    assert "Your team has not seen this yet" in box
    assert result(emergency) in box
    assert ALL_CLEAR not in text
    assert text.index(box) < text.index('id="advice-title"')
    assert '<h1 id="alarm-title"' in box  # the page's first heading

    own = patient_client.get(result(emergency)).text  # its own advice, not twice
    assert alarm_box(own) is None
    assert '<h1 id="advice-title" class="h2">Emergency: call 999 now</h1>' in own


def test_the_carer_sees_the_open_emergency_on_a_later_check_ins_page(carer_client, patient):
    chest_pain(patient)
    green = make_check_in(patient)

    text = carer_client.get(result(green)).text

    box = alarm_box(text)
    assert box and "Emergency: call 999 now" in box and "Alice's check-in at" in box
    assert "Alice's team has not seen this yet" in box
    assert ALL_CLEAR not in text


def test_a_later_red_check_ins_page_leads_with_the_earlier_emergency(patient_client, patient):
    chest_pain(patient, minutes_ago=10)
    red = diarrhoea(patient)

    text = patient_client.get(result(red)).text

    box = alarm_box(text)
    assert box and "Emergency: call 999 now" in box
    assert text.index(box) < text.index("Urgent: phone now")


# Home


def test_home_leads_with_the_emergency_rather_than_a_later_red(patient_client, patient):
    emergency = chest_pain(patient, minutes_ago=10)
    diarrhoea(patient)
    make_check_in(patient)

    box = alarm_box(patient_client.get(HOME).text)

    assert box and "Emergency: call 999 now" in box and "Urgent: phone now" not in box
    assert result(emergency) in box


def test_the_carers_home_leads_with_the_emergency_rather_than_a_later_red(carer_client, patient):
    emergency = chest_pain(patient, minutes_ago=10)
    diarrhoea(patient)

    box = alarm_box(carer_client.get(HOME).text)

    assert box and "Emergency: call 999 now" in box and "Alice's check-in at" in box
    assert result(emergency) in box


def test_home_leads_with_a_red_of_20_hours_ago_and_whom_to_phone(patient_client, patient):
    red = diarrhoea(patient, minutes_ago=20 * 60)
    on_duty = advice_for(patient, "red").contact

    box = alarm_box(patient_client.get(HOME).text)

    assert box and "Urgent: phone now" in box and result(red) in box
    assert f'href="tel:{on_duty.phone.replace(" ", "")}"' in box


def test_of_two_reds_the_newest_leads(patient_client, patient):
    diarrhoea(patient, minutes_ago=30)
    newest = diarrhoea(patient, minutes_ago=5)

    box = alarm_box(patient_client.get(HOME).text)

    assert box and result(newest) in box
    assert alarm_box(patient_client.get(result(newest)).text) is None  # not twice


# What the worker wrote: flags, their episodes and acknowledgements


def test_an_evaluated_emergency_leads_until_the_team_resolves_it(patient_client, patient, nurse):
    emergency = chest_pain(patient)
    flag = evaluated(emergency, "chest_pain", "emergency")
    green = make_check_in(patient)

    assert "Emergency: call 999 now" in alarm_box(patient_client.get(result(green)).text)

    flag.episode.status = "resolved"
    flag.episode.save(update_fields=["status"])
    text = patient_client.get(result(green)).text
    assert alarm_box(text) is None and ALL_CLEAR in text


def test_once_acknowledged_the_patient_is_told_when_in_their_own_zone(
    patient_client, patient, nurse
):
    patient.time_zone = "America/New_York"
    patient.save(update_fields=["time_zone"])
    emergency = chest_pain(patient)
    seen = timezone.now().replace(second=0, microsecond=0)
    evaluated(
        emergency,
        "chest_pain",
        "emergency",
        acknowledged_at=seen,
        acknowledged_by=nurse,
        status="acknowledged",
    )
    green = make_check_in(patient)

    box = alarm_box(patient_client.get(result(green)).text)

    local = seen.astimezone(patient.tz).strftime("%H:%M")
    assert box and "Emergency: call 999 now" in box
    assert f"Your team saw this at {local}" in box
    assert "has not seen this yet" not in box


def test_once_acknowledged_the_carer_is_told_too(carer_client, patient, nurse):
    emergency = chest_pain(patient)
    seen = timezone.now().replace(second=0, microsecond=0)
    evaluated(
        emergency,
        "chest_pain",
        "emergency",
        acknowledged_at=seen,
        acknowledged_by=nurse,
        status="acknowledged",
    )

    box = alarm_box(carer_client.get(HOME).text)

    local = timezone.localtime(seen).strftime("%H:%M")
    assert box and f"Alice's team saw this at {local}" in box


def test_the_acknowledged_emergencys_own_page_says_when_the_team_saw_it(
    patient_client, patient, nurse
):
    emergency = chest_pain(patient)
    seen = timezone.now().replace(second=0, microsecond=0)
    evaluated(
        emergency,
        "chest_pain",
        "emergency",
        acknowledged_at=seen,
        acknowledged_by=nurse,
        status="acknowledged",
    )

    text = patient_client.get(result(emergency)).text

    local = seen.astimezone(patient.tz).strftime("%H:%M")
    assert f"Your team saw this at {local}" in text


def test_an_evaluated_check_in_is_judged_by_its_flags_not_the_requests_verdict(
    patient_client, patient
):
    emergency = chest_pain(patient)
    evaluated(emergency, "chest_pain", "emergency", status="resolved")
    still_open = diarrhoea(patient, minutes_ago=30)
    evaluated(still_open, "stools_per_day", "red")

    box = alarm_box(patient_client.get(HOME).text)

    assert box and "Urgent: phone now" in box and result(still_open) in box
    assert "Emergency: call" not in box


# 24 hours


@pytest.mark.parametrize("worker", [False, True], ids=["waiting", "evaluated"])
def test_an_emergency_leads_for_24_hours_and_then_no_longer(patient_client, patient, worker):
    emergency = chest_pain(patient, minutes_ago=24 * 60 - 2)
    if worker:
        evaluated(emergency, "chest_pain", "emergency")
    green = make_check_in(patient)

    assert "Emergency: call 999 now" in alarm_box(patient_client.get(result(green)).text)

    type(emergency).objects.filter(pk=emergency.pk).update(
        submitted_at=emergency.submitted_at - timedelta(minutes=3)
    )
    Flag.objects.filter(check_in=emergency).update(
        created_at=emergency.submitted_at - timedelta(minutes=3)
    )
    text = patient_client.get(result(green)).text
    assert alarm_box(text) is None and ALL_CLEAR in text
    assert alarm_box(patient_client.get(HOME).text) is None
    assert alarm_box(patient_client.get(result(emergency)).text) is None


# The read


def test_the_open_alarm_is_read_in_one_query(patient, django_assert_num_queries):
    chest_pain(patient, minutes_ago=10)
    evaluated(diarrhoea(patient, minutes_ago=5), "stools_per_day", "red")
    with django_assert_num_queries(1):
        alarm = open_alarm_for(patient)
    assert alarm.urgency == "emergency" and alarm.seen_at is None


def test_another_patients_emergency_is_not_alice_s(patient, other_patient):
    chest_pain(other_patient)
    evaluated(chest_pain(other_patient, minutes_ago=3), "chest_pain", "emergency")

    assert open_alarm_for(patient) is None


# The carer's other pages


@pytest.mark.parametrize("page", ["patients:contacts", "patients:check_ins"])
def test_the_carers_contacts_and_check_ins_lead_with_the_emergency(carer_client, patient, page):
    emergency = chest_pain(patient, minutes_ago=10)
    make_check_in(patient)

    text = carer_client.get(reverse(page)).text

    box = alarm_box(text)
    assert box and "Emergency: call 999 now" in box and result(emergency) in box
    assert text.index("<h1") < text.index(box) < text.index("<h2", text.index(box) + len(box))


@pytest.mark.parametrize("who", ["patient", "carer"])
def test_the_check_in_form_leads_with_the_open_emergency(client, patient, carer, who):
    """About to check in again, the patient or their carer first sees what to do."""
    emergency = chest_pain(patient, minutes_ago=10)
    login(client, patient.user if who == "patient" else carer)

    text = client.get(reverse("patients:check_in")).text

    box = alarm_box(text)
    assert box and "Emergency: call 999 now" in box and result(emergency) in box
    assert text.index("<h1") < text.index(box) < text.index("<form", text.index(box))


def test_the_check_in_form_with_nothing_open_has_no_alarm(patient_client, patient):
    make_check_in(patient, at=timezone.now() - timedelta(minutes=5))

    assert alarm_box(patient_client.get(reverse("patients:check_in")).text) is None


def test_the_printed_card_does_not_carry_the_alarm(patient_client, patient):
    chest_pain(patient)

    assert alarm_box(patient_client.get(reverse("patients:contacts") + "?card=1").text) is None
    assert alarm_box(patient_client.get(reverse("patients:contacts")).text)
