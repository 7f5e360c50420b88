"""Check-in reminders: written once a patient and day, emailed once, stoppable."""

import re
from datetime import UTC, datetime, time

import time_machine
from django.core import mail
from django.urls import reverse

from patients.models import Patient, Reminder
from patients.services.reminders import deliver_reminder, reminder_stop_token, send_due_reminders

from ..factories import make_check_in

TUESDAY_1830 = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)  # 18:30 in London


def test_a_patient_without_a_check_in_today_gets_one_reminder(
    patient, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(TUESDAY_1830, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert send_due_reminders(now=TUESDAY_1830) == 1
        assert send_due_reminders(now=TUESDAY_1830) == 0  # the same day: nothing more

    reminder = Reminder.objects.get()
    assert reminder.local_date.isoformat() == "2026-11-24" and reminder.sent_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Time for today's check-in" and message.to == [patient.user.email]
    assert "/check-in/" in message.body and "/reminders/stop/" in message.body


def test_no_reminder_before_the_chosen_time_or_after_a_check_in(patient):
    assert send_due_reminders(now=datetime(2026, 11, 24, 17, 59, tzinfo=UTC)) == 0
    make_check_in(patient, at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert send_due_reminders(now=TUESDAY_1830) == 0


def test_the_chosen_time_is_the_patients_local_time(patient):
    Patient.objects.filter(pk=patient.pk).update(
        time_zone="America/New_York", reminder_time=time(9, 0)
    )
    assert send_due_reminders(now=datetime(2026, 11, 24, 13, 59, tzinfo=UTC)) == 0
    assert send_due_reminders(now=datetime(2026, 11, 24, 14, 0, tzinfo=UTC)) == 1


def test_an_opted_out_patient_gets_none(patient):
    Patient.objects.filter(pk=patient.pk).update(reminders=False)
    assert send_due_reminders(now=TUESDAY_1830) == 0


def test_after_treatment_the_teams_choice_applies(patient):
    patient.treatments.update(status="finished")
    patient.care_team.after_treatment_reminders = "none"
    patient.care_team.save()
    assert send_due_reminders(now=TUESDAY_1830) == 0
    patient.care_team.after_treatment_reminders = "weekly"
    patient.care_team.save()
    assert send_due_reminders(now=TUESDAY_1830) == 1  # no check-in for a week


def test_a_reminder_is_emailed_once(patient):
    send_due_reminders(now=TUESDAY_1830)
    reminder = Reminder.objects.get()

    assert deliver_reminder(reminder.pk) is True
    assert deliver_reminder(reminder.pk) is False
    assert len(mail.outbox) == 1


def test_the_stop_link_works_without_login_and_only_on_post(client, patient):
    url = reverse("patients:stop_reminders", args=[reminder_stop_token(patient.pk)])

    shown = client.get(url)
    assert shown.status_code == 200 and "Yes, stop the reminder emails" in shown.text
    assert Patient.objects.get(pk=patient.pk).reminders is True

    stopped = client.post(url)
    assert "Reminders stopped" in stopped.text
    assert Patient.objects.get(pk=patient.pk).reminders is False


def test_a_forged_stop_link_changes_nothing(client, patient):
    token = reminder_stop_token(patient.pk)
    forged = re.sub(r"^[^:]+", "999", token)

    response = client.post(reverse("patients:stop_reminders", args=[forged]))

    assert response.status_code == 404
    assert Patient.objects.get(pk=patient.pk).reminders is True


def test_a_patient_sets_the_time_and_turns_reminders_off(patient_client, patient):
    url = reverse("patients:reminders")

    patient_client.post(url, {"reminders": "on", "reminder_time": "08:15"})
    assert Patient.objects.get(pk=patient.pk).reminder_time == time(8, 15)

    response = patient_client.post(url, {"reminder_time": "08:15"}, follow=True)
    assert Patient.objects.get(pk=patient.pk).reminders is False
    assert "Saved: no more reminder emails." in response.text


def test_a_bad_time_is_refused_and_nothing_changes(patient_client, patient):
    response = patient_client.post(
        reverse("patients:reminders"), {"reminders": "on", "reminder_time": "25:99"}
    )

    assert response.status_code == 200 and "Enter a valid time." in response.text
    assert Patient.objects.get(pk=patient.pk).reminder_time == time(18, 0)


def test_a_nurse_has_no_reminder_settings(nurse_client):
    assert nurse_client.get(reverse("patients:reminders")).status_code == 404


def test_an_invited_patient_who_has_not_chosen_a_password_gets_none(patient):
    patient.user.set_unusable_password()
    patient.user.save()

    assert send_due_reminders(now=TUESDAY_1830) == 0
    assert not Reminder.objects.exists()


def test_a_patient_who_has_not_recorded_their_usual_gets_none(patient):
    patient.baselines.all().delete()

    assert send_due_reminders(now=TUESDAY_1830) == 0
    assert not Reminder.objects.exists()


def test_the_reminder_says_whom_to_phone_now_and_the_emergency_number(patient, settings):
    settings.EMERGENCY_NUMBER = "112"
    send_due_reminders(now=TUESDAY_1830)

    deliver_reminder(Reminder.objects.get().pk, now=TUESDAY_1830)

    body = mail.outbox[0].body
    # 18:30 on a Tuesday: the weekday nurse has gone home, the 24-hour line answers.
    assert (
        "If you feel unwell now, do not wait for the check-in: "
        "call Acute oncology 24-hour line on 020 7946 0999." in body
    )
    assert "In an emergency, call 112." in body
    assert "020 7946 0101" not in body
