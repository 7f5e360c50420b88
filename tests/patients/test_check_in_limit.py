"""One patient cannot drown the team: CHECK_INS_PER_HOUR check-ins an hour for a
patient and their carers together; never a refusal of a warning sign, a red or an
emergency, nor of a form sent twice."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from patients.models import CheckIn

from ..conftest import login
from ..factories import make_check_in

CHECK_IN = reverse("patients:check_in")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 05:00 in New York


@pytest.fixture(autouse=True)
def twelve_an_hour(settings):
    settings.CHECK_INS_PER_HOUR = 12


def form(**answers) -> dict:
    return {"form_token": str(uuid.uuid4()), **{k: str(v) for k, v in answers.items()}}


def send(client, data):
    with time_machine.travel(TUESDAY_10, tick=False):
        return client.post(CHECK_IN, data)


def sent_in_the_last_hour(patient, n: int, *, first_minutes_ago: int = 55, by=None):
    """n check-ins a minute apart, the first `first_minutes_ago` minutes before 10:00."""
    made = []
    for i in range(n):
        check_in = make_check_in(
            patient,
            at=TUESDAY_10 - timedelta(minutes=first_minutes_ago - i),
            stools_per_day=1,
            form_token=uuid.uuid4(),
        )
        if by is not None:
            CheckIn.objects.filter(pk=check_in.pk).update(entered_by="carer", entered_by_user=by)
        made.append(check_in)
    return made


@pytest.fixture
def in_new_york(patient):
    patient.time_zone = "America/New_York"
    patient.save()
    return patient


def test_the_13th_check_in_in_an_hour_is_refused_with_the_time_and_the_answers_kept(
    patient_client, in_new_york
):
    sent_in_the_last_hour(in_new_york, 12)  # from 09:05 UTC, 04:05 in New York

    response = send(patient_client, form(stools_per_day=3, fatigue=2, free_text="Tired today"))

    assert response.status_code == 429
    assert CheckIn.objects.filter(patient=in_new_york).count() == 12
    html = response.content.decode()
    assert "This check-in has not been sent" in html
    # The oldest of the 12 leaves the hour at 10:05 UTC: 05:05 in the patient's zone.
    assert "You can send it from 05:05" in html and "America/New_York" in html
    assert 'name="stools_per_day" value="3"' in html
    assert "Tired today</textarea>" in html
    assert response.context["form"].is_bound
    # Whom to phone now: the contact list's advice, and the emergency number.
    assert 'href="tel:' in html and response.context["advice"] is not None


def test_twelve_in_an_hour_are_taken(patient_client, patient):
    sent_in_the_last_hour(patient, 11)

    response = send(patient_client, form(stools_per_day=1))

    assert response.status_code == 302
    assert CheckIn.objects.filter(patient=patient).count() == 12


def test_check_ins_older_than_an_hour_do_not_count(patient_client, patient):
    sent_in_the_last_hour(patient, 12, first_minutes_ago=70)  # 11 of them in the hour

    response = send(patient_client, form(stools_per_day=1))

    assert response.status_code == 302


def test_an_amber_check_in_without_a_warning_sign_is_refused(patient_client, patient):
    sent_in_the_last_hour(patient, 12)

    response = send(patient_client, form(nausea=2))

    assert response.status_code == 429
    assert not CheckIn.objects.filter(nausea=2).exists()


@pytest.mark.parametrize(
    "answers",
    [
        {"dark_urine": "yes"},  # an amber warning sign, judged amber
        {"fainting": "yes"},  # a red warning sign
        {"stools_per_day": 9},  # no warning sign, judged red
        {"chest_pain": "yes"},  # emergency
    ],
)
def test_a_warning_sign_or_a_red_evaluation_is_never_refused(patient_client, patient, answers):
    sent_in_the_last_hour(patient, 40)

    response = send(patient_client, form(**answers))

    assert response.status_code == 302
    saved = CheckIn.objects.get(patient=patient, submitted_at=TUESDAY_10)
    assert saved.urgency in ("amber", "red", "emergency")


def test_a_form_sent_twice_over_the_limit_is_answered_as_before(patient_client, patient):
    sent_in_the_last_hour(patient, 11)
    data = form(stools_per_day=1)
    first = send(patient_client, data)
    again = send(patient_client, data)

    assert first.status_code == again.status_code == 302
    assert first.url == again.url
    assert CheckIn.objects.filter(patient=patient).count() == 12


def test_the_limit_is_each_patients_own(patient_client, patient, client, other_patient):
    sent_in_the_last_hour(patient, 12)

    other = send(login(client, other_patient.user), form(stools_per_day=1))

    assert other.status_code == 302
    assert CheckIn.objects.filter(patient=other_patient).count() == 1


def test_carers_share_the_patients_limit(client, patient, carer):
    sent_in_the_last_hour(patient, 6)
    sent_in_the_last_hour(patient, 6, first_minutes_ago=30, by=carer)

    carer_client = login(client, carer)
    refused = send(carer_client, form(stools_per_day=1))
    taken = send(carer_client, form(stools_per_day=9))

    assert refused.status_code == 429
    assert "by Alice and by carers together" in refused.content.decode()
    assert taken.status_code == 302
    assert CheckIn.objects.get(submitted_at=TUESDAY_10).entered_by == "carer"


def test_a_carers_check_ins_count_for_the_patient_too(client, patient, carer):
    sent_in_the_last_hour(patient, 12, by=carer)

    response = send(login(client, patient.user), form(stools_per_day=1))

    assert response.status_code == 429
