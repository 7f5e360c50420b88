"""My treatment: what it is, when the next dose is (from the patient's own today), and
what its status means for them."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.models import Treatment

from ..conftest import login

TREATMENT = reverse("patients:treatment")
# 23:30 in London on Tuesday 24 November; already 12:30 on the 25th in Auckland.
LATE_EVENING = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


@pytest.fixture
def treatment(patient):
    treatment = patient.treatment
    treatment.kind = "checkpoint_inhibitor"
    treatment.medicines = "pembrolizumab"
    treatment.schedule = "every 3 weeks"
    treatment.start_date = date(2026, 9, 22)
    treatment.last_dose_date = date(2026, 11, 10)
    treatment.next_dose_date = date(2026, 12, 1)
    treatment.save()
    return treatment


def page(client, at=LATE_EVENING):
    with time_machine.travel(at, tick=False):
        return client.get(TREATMENT)


def test_it_shows_the_treatment_in_plain_words(patient_client, treatment):
    response = page(patient_client)

    assert response.status_code == 200
    text = response.text
    assert "pembrolizumab" in text
    assert "A checkpoint inhibitor. It takes the brakes off your immune system" in text
    assert "Every 3 weeks" in text
    assert "Going ahead." in text and "going ahead as planned" in text
    assert "22 September 2026" in text and "10 November 2026" in text
    assert "You usually have a blood test before each treatment" in text
    assert "chemotherapy" not in text


def test_the_next_dose_is_counted_from_the_patients_own_today(patient_client, patient, treatment):
    assert "Tuesday 1 December 2026</strong><br>In 7 days" in page(patient_client).text

    patient.time_zone = "Pacific/Auckland"
    patient.save()

    response = page(patient_client)
    assert response.context["today"] == date(2026, 11, 25)
    assert "<br>In 6 days" in response.text


@pytest.mark.parametrize(
    ("next_dose", "shown"),
    [
        (date(2026, 11, 24), "<br>Today"),
        (date(2026, 11, 25), "<br>Tomorrow"),
        (date(2026, 11, 23), "This date has passed. Ask your team when your next dose is."),
    ],
)
def test_the_next_dose_today_tomorrow_or_passed(patient_client, treatment, next_dose, shown):
    treatment.next_dose_date = next_dose
    treatment.save()

    assert shown in page(patient_client).text


def test_a_next_dose_not_yet_known_is_said_plainly(patient_client, treatment):
    treatment.next_dose_date = None
    treatment.schedule = ""
    treatment.save()

    text = page(patient_client).text

    assert "Not written down here yet. Your team will tell you the date." in text
    assert "Not written down here yet. Ask your team." in text


def test_chemotherapy_given_with_it_is_mentioned(patient_client, treatment):
    treatment.with_chemotherapy = True
    treatment.save()

    assert "You have chemotherapy as well" in page(patient_client).text


def test_a_held_treatment_is_explained(patient_client, treatment):
    treatment.status = "held"
    treatment.save()

    text = page(patient_client).text

    assert "Paused for now." in text
    assert "does not always mean it has stopped for good" in text
    assert "Your treatment is paused, so this date may change." in text


def test_a_finished_treatment_shows_no_next_dose_and_says_to_keep_reporting(
    patient_client, treatment
):
    treatment.status = "finished"
    treatment.save()

    text = page(patient_client).text

    assert "Next dose" not in text
    assert "more than a year later" in text


def test_with_no_treatment_recorded_it_says_so_and_whom_to_ask(patient_client, patient, team):
    Treatment.objects.filter(patient=patient).delete()

    text = page(patient_client).text

    assert "Your treatment has not been written down here yet." in text
    assert "Please ask your care team (Immunotherapy Unit)" in text
    assert "Immunotherapy nurse specialist" in text
    assert 'href="tel:02079460101"' in text


def test_the_next_dose_cannot_be_before_the_start(treatment):
    treatment.next_dose_date = date(2026, 9, 21)

    with pytest.raises(ValidationError) as error:
        treatment.full_clean()

    assert error.value.message_dict == {
        "next_dose_date": ["The next dose cannot be before the start."]
    }


def test_the_next_dose_may_be_on_the_start_day_or_later(treatment):
    for day in (date(2026, 9, 22), date(2027, 1, 5)):
        treatment.next_dose_date = day
        with time_machine.travel(LATE_EVENING, tick=False):
            treatment.full_clean()


def test_the_admin_edits_the_schedule_and_next_dose(admin_client_, patient):
    response = admin_client_.get(reverse("admin:patients_patient_change", args=[patient.pk]))

    assert 'name="treatments-0-schedule"' in response.text
    assert 'name="treatments-0-next_dose_date"' in response.text


def test_a_nurse_does_not_get_the_patients_treatment_page(client, nurse, patient):
    login(client, nurse)

    assert client.get(TREATMENT).status_code == 404


def test_anyone_logged_out_is_sent_to_log_in(client, patient):
    response = client.get(TREATMENT)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
