"""A carer of several patients starts at 'Whom are you helping today?': while one of
them has an open red or emergency (issue 13, item 2), that page leads with what to
do about it too, for that patient by name, before the choice."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Carer
from patients.services.open_alarm import open_alarm_for, open_alarms_for

from ..conftest import login
from ..factories import PatientFactory, UserFactory, make_check_in, make_flag

HOME = reverse("patients:home")


@pytest.fixture
def gus(team, carer):
    """A second patient Cara helps: she chooses between Alice and Gus at home."""
    gus = PatientFactory(care_team=team, user=UserFactory(username="gus", first_name="Gus"))
    Carer.objects.create(
        patient=gus, name="Cara", email=carer.email, user=carer, accepted_at=timezone.now()
    )
    return gus


def boxes(text: str) -> list[str]:
    return re.findall(r'<section [^>]*id="open-alarm-\d+".*?</section>', text, re.S)


def ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


def test_the_choice_leads_with_an_open_emergency_of_one_of_them(client, carer, patient, gus):
    make_check_in(gus, at=ago(5), chest_pain=True, urgency="emergency")
    make_check_in(gus, at=ago(1))  # a later all-clear does not undo it

    text = login(client, carer).get(HOME).text

    [box] = boxes(text)
    assert "Whom are you helping today?" in text
    assert "Gus: emergency, call 999 now" in box and 'href="tel:999"' in box
    assert "Gus's team has not seen this yet." in box
    assert reverse("patients:choose_patient", args=[gus.carers.get().pk]) in box
    assert text.index(box) < text.index('<ul class="list-unstyled">')  # before the choice


def test_a_red_of_the_other_says_whom_to_phone_and_when_the_team_saw_it(
    client, carer, patient, gus, nurse
):
    red = make_check_in(patient, at=ago(30), stools_per_day=9, urgency="red")
    type(red).objects.filter(pk=red.pk).update(evaluated_at=red.submitted_at)
    make_flag(
        red, "stools_per_day", "red", status="acknowledged", acknowledged_at=ago(10),
        acknowledged_by=nurse,
    )  # fmt: skip

    [box] = boxes(login(client, carer).get(HOME).text)

    assert "Alice: urgent, phone now" in box
    assert 'href="tel:02079460999"' in box  # the 24-hour line
    assert "Alice's team saw this at" in box


def test_nothing_open_leads_with_nothing(client, carer, patient, gus):
    make_check_in(gus, at=ago(60 * 25), chest_pain=True, urgency="emergency")  # over a day ago

    assert boxes(login(client, carer).get(HOME).text) == []


def test_the_alarms_of_several_patients_are_one_query(
    patient, gus, other_patient, django_assert_num_queries
):
    make_check_in(patient, at=ago(20), stools_per_day=9, urgency="red")
    make_check_in(gus, at=ago(10), chest_pain=True, urgency="emergency")
    make_check_in(gus, at=ago(5), stools_per_day=9, urgency="red")
    make_check_in(other_patient, at=ago(5), chest_pain=True, urgency="emergency")

    with django_assert_num_queries(1):
        alarms = open_alarms_for([patient.pk, gus.pk])

    assert set(alarms) == {patient.pk, gus.pk}
    assert alarms[gus.pk] == open_alarm_for(gus) and alarms[gus.pk].emergency
    assert alarms[patient.pk] == open_alarm_for(patient)
