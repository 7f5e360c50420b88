"""The patient's check-in, through the pages: what is saved, and what they are told to do."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, Notification
from alerts.services import flagging
from patients.models import CheckIn, ContactHours, Flag, Treatment
from patients.services.check_ins import record_baseline

from ..conftest import login
from ..factories import ContactFactory, make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 10:00 in London, in clinic hours
SATURDAY_03 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 03:00 in London, nobody in clinic
CHECK_IN = reverse("patients:check_in")

TEMPERATURE_MESSAGE = "That temperature cannot be right. A body temperature is between"


def form(**answers) -> dict:
    """The check-in form as the browser posts it: a fresh token and the answers given."""
    return {"form_token": str(uuid.uuid4()), **{k: str(v) for k, v in answers.items()}}


def send(client, data, at=TUESDAY_10):
    """Post the check-in at an instant and follow the redirect to the result page."""
    with time_machine.travel(at, tick=False):
        return client.post(CHECK_IN, data, follow=True)


def assert_error_beside(response, field: str, message: str):
    """The message is shown in the field's own error block, not only at the top."""
    html = response.content.decode()
    block = re.search(
        rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', html, re.S
    )
    assert block, f"no error shown beside {field}"
    assert message in block.group(1)


def test_it_saves_a_red_check_in_and_tells_the_patient_to_phone_the_nurse_in_clinic_hours(
    patient_client, patient
):
    response = send(patient_client, form(stools_per_day=9))

    check_in = CheckIn.objects.get()
    assert check_in.patient == patient and check_in.stools_per_day == 9
    assert check_in.urgency == "red" and check_in.baseline == patient.active_baseline
    assert response.redirect_chain == [
        (reverse("patients:check_in_result", args=[check_in.pk]), 302)
    ]
    assert response.context["evaluation"].urgency == "red"
    assert "Urgent: phone now" in response.text
    assert "Immunotherapy nurse specialist" in response.text
    assert 'href="tel:02079460101"' in response.text
    assert "Stools: 9 in the last 24 hours; your usual is 1 a day" in response.text


def test_it_tells_the_patient_to_phone_the_24_hour_line_at_night_at_the_weekend(patient_client):
    response = send(patient_client, form(stools_per_day=9), at=SATURDAY_03)

    advice = response.context["advice"]
    assert advice.contact.name == "Acute oncology 24-hour line"
    assert "Urgent: phone now" in response.text
    assert 'href="tel:02079460999"' in response.text
    assert "Immunotherapy nurse specialist" not in response.text


def test_it_reminds_the_patient_about_medicines_after_a_check_in(patient_client):
    response = send(patient_client, form(stools_per_day=9))

    assert "Do not start any new medicines" in response.text
    assert "anti-diarrhoea" in response.text
    assert "Keep taking your regular medicines" in response.text


def test_the_worker_creates_one_flag_and_notifies_the_contact_once_committed(
    patient_client, team, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(TUESDAY_10, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        patient_client.post(CHECK_IN, form(stools_per_day=9))

    flag = Flag.objects.get()
    assert (flag.symptom, flag.urgency, flag.rule) == ("stools_per_day", "red", "R2")
    alert = Alert.objects.get()
    assert alert.contact == team.contacts_by_role["nurse"]
    notifications = Notification.objects.filter(alert=alert)
    assert sorted(n.channel for n in notifications) == ["email", "sms"]
    assert {n.status for n in notifications} == {"sent"}
    assert len(mail.outbox) == 1
    assert CheckIn.objects.get().evaluated_at == TUESDAY_10


def test_nothing_is_flagged_before_the_check_in_is_committed(patient_client):
    send(patient_client, form(stools_per_day=9))

    assert CheckIn.objects.get().evaluated_at is None
    assert not Flag.objects.exists() and not Alert.objects.exists()


def test_an_emergency_tells_the_patient_to_call_the_emergency_number(patient_client):
    response = send(patient_client, form(chest_pain="yes"))

    assert CheckIn.objects.get().urgency == "emergency"
    assert "Emergency: call 999 now" in response.text
    assert 'class="btn btn-lg btn-light w-100 mb-3 call-button" href="tel:999"' in response.text


def test_the_emergency_number_comes_from_the_settings(patient_client, settings):
    settings.EMERGENCY_NUMBER = "112"

    response = send(patient_client, form(chest_pain="yes"))

    assert "Emergency: call 112 now" in response.text
    assert 'href="tel:112"' in response.text
    assert 'href="tel:999"' not in response.text and "call 999" not in response.text


def test_a_green_check_in_gives_no_call_now_advice(patient_client):
    response = send(patient_client, form(stools_per_day=1, fatigue=1, wellbeing=8))

    assert CheckIn.objects.get().urgency == "green"
    assert "Thank you: nothing new to report" in response.text
    assert "phone now" not in response.text.lower()
    assert "Phone your team today" not in response.text
    assert "call-card" not in response.text


def test_amber_with_nobody_on_duty_for_amber_says_when_the_contact_is_next_available(
    patient_client, team
):
    line = team.contacts_by_role["line"]
    line.handles_amber = False
    line.save()

    response = send(patient_client, form(stools_per_day=3), at=SATURDAY_03)

    assert response.context["evaluation"].urgency == "amber"
    assert "Phone your team today" in response.text
    assert "Immunotherapy nurse specialist" in response.text
    assert 'href="tel:02079460101"' in response.text
    assert "They are next available Monday 30 November, 09:00." in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nausea", 5, "Choose one of the answers shown."),
        ("nausea", -1, "Choose one of the answers shown."),
        ("headache", "abc", "Choose one of the answers shown."),
        ("stools_per_day", 51, "Enter a number from 0 to 50."),
        ("stools_per_day", -1, "Enter a number from 0 to 50."),
        ("wellbeing", 11, "Enter a number from 0 to 10."),
        ("temperature_c", "50.0", TEMPERATURE_MESSAGE),
        ("temperature_c", "20.0", TEMPERATURE_MESSAGE),
    ],
)
def test_it_rejects_an_answer_out_of_range_beside_the_field_and_saves_nothing(
    patient_client, field, value, message
):
    response = send(patient_client, form(fatigue=1, **{field: value}))

    assert response.status_code == 200 and not response.redirect_chain
    assert_error_beside(response, field, message)
    assert "Nothing has been sent yet" in response.text
    assert CheckIn.objects.count() == 0


def test_it_rejects_an_empty_form_with_a_message_for_the_whole_form(patient_client):
    response = send(patient_client, form())

    assert response.context["form"].non_field_errors() == [
        "Answer at least one question before sending."
    ]
    summary = re.search(r'<div class="error-summary[^"]*"(.*?)</div>\s*</div>', response.text, re.S)
    assert summary and "There is a problem" in summary.group(1)
    assert "Answer at least one question before sending." in summary.group(1)
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("token", [None, "not-a-uuid"])
def test_it_rejects_a_missing_or_garbled_form_token_and_saves_nothing(patient_client, token):
    data = form(stools_per_day=9)
    if token is None:
        del data["form_token"]
    else:
        data["form_token"] = token

    response = send(patient_client, data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This form had expired. Check your answers and send it again."
    ]
    assert "This form had expired" in response.text
    assert CheckIn.objects.count() == 0


def test_after_a_bad_token_the_form_carries_a_good_one_so_the_patient_can_send_again(
    patient_client,
):
    # A form whose hidden token was lost (a page cached from an older version, a
    # browser extension) must not trap the patient: the page marks nothing they can
    # correct, so the re-shown form must carry a token that the next post accepts.
    data = form(stools_per_day=9)
    data["form_token"] = "not-a-uuid"

    response = send(patient_client, data)

    reissued = re.search(r'name="form_token" value="([^"]*)"', response.text).group(1)
    again = send(patient_client, {**data, "form_token": reissued})
    assert again.redirect_chain, "the second post was rejected too"
    assert CheckIn.objects.count() == 1


def test_a_double_submission_saves_once_and_shows_the_same_result(patient_client):
    data = form(stools_per_day=9)

    first = send(patient_client, data)
    second = send(patient_client, data)

    saved = CheckIn.objects.get()
    result = reverse("patients:check_in_result", args=[saved.pk])
    assert first.redirect_chain == second.redirect_chain == [(result, 302)]
    assert "This check-in was already sent; it has been saved once." in second.text


def test_a_form_token_already_used_by_another_patient_is_not_a_server_error(
    client, patient, other_patient
):
    data = form(stools_per_day=9)
    send(login(client, patient.user), data)
    client.logout()

    response = send(login(client, other_patient.user), data)

    theirs = CheckIn.objects.filter(patient=other_patient)
    assert response.status_code == 200
    assert theirs.count() == 1 or "Nothing has been sent yet" in response.text
    assert "Alice" not in response.text


def test_the_result_is_judged_against_the_baseline_active_when_the_check_in_was_made(
    patient_client, patient
):
    send(patient_client, form(stools_per_day=9))
    check_in = CheckIn.objects.get()
    record_baseline(
        patient=patient, values={"stools_per_day": 9, "wellbeing": 8}, recorded_by=patient.user
    )
    assert patient.active_baseline.stools_per_day == 9

    with time_machine.travel(TUESDAY_10, tick=False):
        response = patient_client.get(reverse("patients:check_in_result", args=[check_in.pk]))

    assert response.context["evaluation"].urgency == "red"
    assert "Urgent: phone now" in response.text
    assert "Stools: 9 in the last 24 hours; your usual is 1 a day" in response.text


def test_the_check_in_list_shows_only_the_patients_own_check_ins(
    patient_client, patient, other_patient
):
    own = make_check_in(patient, stools_per_day=4)
    theirs = make_check_in(other_patient, stools_per_day=7)

    response = patient_client.get(reverse("patients:check_ins"))

    assert list(response.context["page"]) == [own]
    assert reverse("patients:check_in_result", args=[own.pk]) in response.text
    assert reverse("patients:check_in_result", args=[theirs.pk]) not in response.text
    assert "Stools: 4 a day" in response.text and "7 a day" not in response.text


def test_the_contacts_page_lists_the_teams_contacts_with_numbers_and_hours(
    patient_client, team, other_team
):
    ContactFactory(team=other_team, name="Dr Elsewhere", order=9, phone="0161 496 0000")
    retired = ContactFactory(team=team, name="Retired line", order=9, active=False)
    ContactHours.objects.create(contact=retired, days="mon", start="09:00", end="10:00")

    response = patient_client.get(reverse("patients:contacts"))

    text = response.text
    assert "Your care team: Immunotherapy Unit" in text
    for name, number in [
        ("Immunotherapy nurse specialist", "02079460101"),
        ("Acute oncology 24-hour line", "02079460999"),
        ("On-call oncology registrar", "02079460300"),
    ]:
        assert f'<h2 class="h5 mb-1">{name}</h2>' in text
        assert f'href="tel:{number}"' in text
    assert "Times are UK time." in text and "Europe/London" not in text
    assert "Available Monday to Friday, 09:00\u201317:00." in text and "mon-fri" not in text
    assert text.count("Available 24 hours a day, every day.") == 2
    assert "Dr Elsewhere" not in text and "Retired line" not in text


def test_red_advice_without_any_contact_still_says_whom_to_ring(patient_client, patient):
    patient.care_team.contacts.all().delete()

    response = send(patient_client, form(stools_per_day=9))

    assert "Urgent: phone now" in response.text
    assert "no number for this right now" in response.text
    assert 'href="tel:999"' in response.text


def test_an_old_check_in_says_its_advice_was_for_that_day(patient_client, patient):
    old = make_check_in(patient, at=timezone.now() - timedelta(days=3), stools_per_day=9)

    response = patient_client.get(reverse("patients:check_in_result", args=[old.pk]))

    assert "the advice was for that day" in response.text


def test_a_form_sent_again_with_changed_answers_is_a_new_check_in(patient_client):
    # Send, go back, tick chest pain, send again: the new answer must not be lost.
    data = form(stools_per_day=9)
    send(patient_client, data)

    response = send(patient_client, {**data, "chest_pain": "yes"})

    assert CheckIn.objects.count() == 2
    newest = CheckIn.objects.latest("pk")
    assert newest.chest_pain is True and newest.urgency == "emergency"
    assert "Emergency: call 999 now" in response.text


def test_if_you_get_worse_names_the_24_hour_line_even_in_office_hours(patient_client):
    friday_1655 = datetime(2026, 11, 27, 16, 55, tzinfo=UTC)

    response = send(patient_client, form(stools_per_day=3), at=friday_1655)

    assert "phone Acute oncology 24-hour line on" in response.text
    assert "phone Immunotherapy nurse specialist on" not in response.text


def test_the_result_says_the_alert_is_on_its_way_before_the_worker_has_run(patient_client):
    response = send(patient_client, form(stools_per_day=9))  # on_commit not run here

    assert "Your care team is being sent an alert." in response.text


def test_the_result_says_the_team_was_sent_an_alert_once_the_worker_raised_it(
    patient_client, patient
):
    page = send(patient_client, form(stools_per_day=9))
    saved = CheckIn.objects.get()
    assert saved.alerted_at is None

    flagging.flag_check_in(saved.pk)

    saved.refresh_from_db()
    assert saved.alerted_at == Alert.objects.get(check_in=saved).created_at
    again = patient_client.get(reverse("patients:check_in_result", args=[saved.pk]))
    assert "Your care team has also been sent an alert." in again.text
    assert "being sent" in page.text and "being sent" not in again.text


def test_a_last_dose_is_judged_against_the_patients_own_date(patient):
    patient.time_zone = "Australia/Sydney"
    treatment = Treatment(
        patient=patient,
        kind="checkpoint_inhibitor",
        medicines="nivolumab",
        start_date=datetime(2026, 11, 1).date(),
        last_dose_date=datetime(2026, 11, 25).date(),
    )
    # 23:30 in London on the 24th is already the 25th in Sydney.
    with time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), tick=False):
        treatment.clean()
        treatment.last_dose_date = datetime(2026, 11, 26).date()
        try:
            treatment.clean()
        except ValidationError as exc:
            assert "cannot be in the future" in str(exc)
        else:
            raise AssertionError("a dose tomorrow in Sydney was accepted")
