"""A patient's choice of SMS check-ins: the reminders page, the printable SMS card,
and the daily reminder sent by text."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alerts.channels import ChannelError
from alerts.channels.sms import ConsoleSmsChannel
from clinical.catalogue import ITEMS
from clinical.sms import CODES
from patients.forms.reminders import BAD_NUMBER, NUMBER_TAKEN, SMS_NEEDS_NUMBER
from patients.models import AuditEvent, Patient, Reminder
from patients.privacy import erase_patient
from patients.services.reminders import deliver_reminder, send_due_reminders
from patients.signals import SmsNotSent

from ..factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

TUESDAY_1830 = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)  # 18:30 in London
URL = "/reminders/"


def form(**changes):
    return {"reminders": "on", "reminder_time": "18:00", **changes}


def test_a_patient_opts_in_with_their_mobile_number(patient_client, patient):
    response = patient_client.post(
        URL, form(mobile_number="+44 7700 900-123", sms_check_ins="on"), follow=True
    )
    patient.refresh_from_db()
    assert patient.mobile_number == "+447700900123" and patient.sms_check_ins
    # Nothing is texted but the code until the patient replies with it.
    text = response.text
    assert "a reminder by text message once you have replied with the code at 18:00" in text
    assert "Waiting for you to reply to our text with the code" in text
    assert reverse("patients:sms_card") in response.text


def test_00_is_read_as_plus(patient_client, patient):
    patient_client.post(URL, form(mobile_number="00447700900123", sms_check_ins="on"))
    patient.refresh_from_db()
    assert patient.mobile_number == "+447700900123"


@pytest.mark.parametrize("number", ["07700900123", "+44", "phone me", "+0447700900123"])
def test_a_bad_number_is_refused_and_nothing_changes(patient_client, patient, number):
    response = patient_client.post(URL, form(mobile_number=number, sms_check_ins="on"))
    assert response.status_code == 200 and BAD_NUMBER in response.text
    patient.refresh_from_db()
    assert patient.mobile_number == "" and not patient.sms_check_ins


def test_sms_check_ins_need_a_number(patient_client, patient):
    response = patient_client.post(URL, form(sms_check_ins="on"))
    assert response.status_code == 200 and SMS_NEEDS_NUMBER in response.text
    patient.refresh_from_db()
    assert not patient.sms_check_ins


def test_another_patients_number_cannot_be_used_and_whose_is_never_said(
    patient_client, patient, other_patient
):
    Patient.objects.filter(pk=other_patient.pk).update(mobile_number="+447700900123")
    response = patient_client.post(URL, form(mobile_number="+447700900123", sms_check_ins="on"))
    assert response.status_code == 200 and NUMBER_TAKEN in response.text
    assert other_patient.name not in response.text and "Bob" not in response.text
    patient.refresh_from_db()
    assert patient.mobile_number == ""


def test_a_patient_keeps_their_own_number_when_saving_again(patient_client, patient):
    patient_client.post(URL, form(mobile_number="+447700900123", sms_check_ins="on"))
    response = patient_client.post(URL, form(mobile_number="+447700900123"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.mobile_number == "+447700900123" and not patient.sms_check_ins


def test_the_sms_card_lists_every_code_with_the_ok_shortcut_and_the_emergency_number(
    patient_client, patient, settings, django_assert_max_num_queries
):
    settings.EMERGENCY_NUMBER = "112"
    with django_assert_max_num_queries(16):
        response = patient_client.get(reverse("patients:sms_card"))
    assert response.status_code == 200
    text = response.text
    for code, key in CODES.items():
        assert f'<th scope="row">{code}</th>' in text, key
    for item in ITEMS:
        assert str(item.question).replace("'", "&#x27;") in text
    assert "<strong>OK</strong> means" in text
    assert "In an emergency call 112; do not text." in text
    assert "D0 to D50" in text and "T32.0 to T44.0, in °C" in text
    assert "N0 (none) to N4 (very severe)" in text


def test_another_role_has_no_sms_card(nurse_client):
    assert nurse_client.get(reverse("patients:sms_card")).status_code == 404


@pytest.fixture
def texting(patient, settings, tmp_path):
    settings.SMS_FILE = str(tmp_path / "sms.log")
    settings.SMS_API_URL = ""
    Patient.objects.filter(pk=patient.pk).update(
        mobile_number="+447700900123", sms_check_ins=True, mobile_confirmed_at=timezone.now()
    )
    return tmp_path / "sms.log"


def test_an_opted_in_patient_gets_the_reminder_by_text_once_and_no_email(
    patient, texting, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(TUESDAY_1830, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert send_due_reminders(now=TUESDAY_1830) == 1
        assert send_due_reminders(now=TUESDAY_1830) == 0
    reminder = Reminder.objects.get()
    assert reminder.sent_at is not None
    assert deliver_reminder(reminder.pk, now=TUESDAY_1830) is False  # claimed once
    assert mail.outbox == []
    lines = texting.read_text().splitlines()
    assert len(lines) == 1
    assert f"SMS to +447700900123 [reminder-{reminder.pk}]: Time for your check-in." in lines[0]
    assert "Reply OK if all is as usual, or use the codes on your card." in lines[0]
    assert "Unwell now? Call " in lines[0] and "In an emergency call 999." in lines[0]
    text = lines[0].lower()
    for item in ITEMS:
        assert item.label.lower() not in text
    for word in ("stool", "diarrh", "temperature", "fever", "chest", "pain", "blood"):
        assert word not in text


def test_a_text_that_fails_for_now_is_released_for_the_sweep(patient, texting, monkeypatch):
    def down(self, address, message, *, idempotency_key):
        raise ChannelError("SMS provider: HTTP 503")

    monkeypatch.setattr(ConsoleSmsChannel, "deliver", down)
    send_due_reminders(now=TUESDAY_1830)
    reminder = Reminder.objects.get()
    with pytest.raises(SmsNotSent):
        deliver_reminder(reminder.pk, now=TUESDAY_1830)
    reminder.refresh_from_db()
    assert reminder.sent_at is None


def test_a_number_the_provider_refuses_is_not_retried(patient, texting, monkeypatch):
    def refused(self, address, message, *, idempotency_key):
        raise ChannelError("SMS provider: HTTP 400", permanent=True)

    monkeypatch.setattr(ConsoleSmsChannel, "deliver", refused)
    send_due_reminders(now=TUESDAY_1830)
    reminder = Reminder.objects.get()
    assert deliver_reminder(reminder.pk, now=TUESDAY_1830) is False
    reminder.refresh_from_db()
    assert reminder.sent_at is not None


def test_a_patient_who_turned_reminders_off_gets_no_text(patient, texting):
    send_due_reminders(now=TUESDAY_1830)
    Patient.objects.filter(pk=patient.pk).update(reminders=False)
    assert deliver_reminder(Reminder.objects.get().pk, now=TUESDAY_1830) is False
    assert not texting.exists()


def test_a_number_is_one_patients(patient):
    other = PatientFactory(mobile_number="+447700900555")
    assert Patient.objects.filter(mobile_number="+447700900555").get() == other


def test_the_team_prints_a_patients_sms_card_from_their_page(nurse_client, patient):
    Patient.objects.filter(pk=patient.pk).update(
        mobile_number="+447700900123", sms_check_ins=True, mobile_confirmed_at=timezone.now()
    )
    url = reverse("alerts:patient_sms_card", args=[patient.pk])
    assert url in nurse_client.get(reverse("alerts:patient", args=[patient.pk])).text
    response = nurse_client.get(url)
    assert response.status_code == 200 and "In an emergency call 999; do not text." in response.text
    assert reverse("alerts:patient", args=[patient.pk]) in response.text
    assert AuditEvent.objects.filter(action="viewed", detail="SMS card").count() == 1


def test_another_teams_patients_card_is_not_found(nurse_client, other_patient):
    url = reverse("alerts:patient_sms_card", args=[other_patient.pk])
    assert nurse_client.get(url).status_code == 404


def test_an_erased_patients_texted_reminders_go_from_the_development_sms_file(
    patient, texting, django_capture_on_commit_callbacks
):
    other = PatientFactory(mobile_number="+447700900555")
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders(now=TUESDAY_1830)
    with open(texting, "a", encoding="utf-8") as out:
        out.write(f"2026-11-24T18:30:00 SMS to {other.mobile_number} [reminder-0]: kept\n")
    assert "+447700900123" in texting.read_text()

    with django_capture_on_commit_callbacks(execute=True):
        erase_patient(patient, UserFactory(is_staff=True, is_superuser=True))

    assert texting.read_text().splitlines() == [
        f"2026-11-24T18:30:00 SMS to {other.mobile_number} [reminder-0]: kept"
    ]
