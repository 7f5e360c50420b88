"""A mobile number is confirmed by a reply with the code texted to it before anything
else is texted to it or taken from it (patients/services/sms_confirmation.py)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from alerts.services.enrolment import text_confirmation_code
from clinical.catalogue import ITEMS
from patients.models import AuditEvent, CheckIn, Patient, Reminder, SmsReply
from patients.services import sms_confirmation
from patients.services.reminders import deliver_reminder, send_due_reminders
from patients.services.sms_confirmation import (
    CODE_TRIES,
    CONFIRMED,
    NO_CODE,
    WRONG_CODE,
    new_code,
)

from ..conftest import login
from ..factories import BaselineFactory, PatientFactory, TreatmentFactory, UserFactory
from .test_sms_inbound import NUMBER, TUESDAY_10, message, post, provider  # noqa: F401

pytestmark = pytest.mark.django_db

TUESDAY_1830 = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)  # 18:30 in London
PAGE = "/reminders/"


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.SMS_FILE = str(tmp_path / "sms.log")
    settings.SMS_API_URL = ""
    return tmp_path / "sms.log"


def texts(sms_file) -> list[str]:
    return sms_file.read_text().splitlines() if sms_file.exists() else []


def code_in(line: str) -> str:
    return line.split("Reply ", 1)[1].split(" ", 1)[0]


@pytest.fixture
def waiting(patient):
    """The patient (conftest's Alice) opted in; their number not yet confirmed."""
    Patient.objects.filter(pk=patient.pk).update(mobile_number=NUMBER, sms_check_ins=True)
    patient.refresh_from_db()
    return patient


def opt_in(client, number=NUMBER):
    form = {"reminders": "on", "reminder_time": "18:00", "mobile_number": number}
    return client.post(PAGE, {**form, "sms_check_ins": "on"}, follow=True)


def test_opting_in_texts_a_code_naming_no_symptom_and_the_page_waits_for_it(
    patient_client, patient, sms_file
):
    response = opt_in(patient_client)
    patient.refresh_from_db()
    assert patient.sms_check_ins and patient.mobile_confirmed_at is None
    [line] = texts(sms_file)
    code = code_in(line)
    assert len(code) == 4 and code.isdigit()
    assert line.endswith(
        f"Reply {code} to start SMS check-ins from {patient.care_team.name}. "
        "Not you? Ignore this text."
    )
    for item in ITEMS:
        assert item.label.lower() not in line.lower()
    assert patient.mobile_code_hash == sms_confirmation._digest(patient, code)  # a hash only
    text = response.text
    assert "Waiting for you to reply to our text with the code" in text
    assert "Send the code again" in text
    assert f"We texted a code to {NUMBER}." in text
    assert "a reminder by text message once you have replied with the code at 18:00" in text


def test_the_right_code_confirms_the_number(client, patient_client, patient, sms_file):
    opt_in(patient_client)
    code = code_in(texts(sms_file)[0])
    assert message(post(client, f" {code}. ")) == CONFIRMED
    patient.refresh_from_db()
    assert patient.mobile_confirmed_at is not None and patient.texts_check_ins
    assert patient.mobile_code_hash == ""
    page = patient_client.get(PAGE).text
    assert "Confirmed" in page and "Send the code again" not in page
    # From now on a reply is a check-in.
    assert message(post(client, "OK", sid="SM-ok")) == "Thank you, received."
    assert CheckIn.objects.filter(patient=patient, entered_by="sms").count() == 1


@pytest.mark.parametrize("body", ["OK", "CP", "cp please help", "D9 N2"])
def test_an_unconfirmed_numbers_reply_is_not_a_check_in(client, waiting, body):
    answer = message(post(client, body))
    assert answer == (
        "Please first reply with the code we texted you, or reply CODE for a new one. "
        "In an emergency call 999."
    )
    assert not CheckIn.objects.exists() and not SmsReply.objects.exists()


def test_a_wrong_code_is_refused_and_too_many_wrong_tries_void_the_code(client, waiting, settings):
    settings.SMS_PER_NUMBER_PER_HOUR = 20
    code = new_code(waiting)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    for n in range(CODE_TRIES - 1):
        assert message(post(client, wrong, sid=f"SM{n}")) == WRONG_CODE
    assert message(post(client, wrong, sid="SMlast")) == NO_CODE
    assert message(post(client, code, sid="SMright")) == NO_CODE  # the right one, too late
    waiting.refresh_from_db()
    assert waiting.mobile_confirmed_at is None
    assert waiting.mobile_code_tries == CODE_TRIES


def test_an_unconfirmed_number_is_held_to_its_hourly_limit(client, waiting):
    for n in range(3):
        assert message(post(client, "1234", sid=f"SM{n}")) != ""
    assert message(post(client, "1234", sid="SM3")) == ""


def test_an_expired_code_is_refused(client, waiting):
    with time_machine.travel(TUESDAY_10, tick=False):
        code = new_code(waiting, now=TUESDAY_10)
    with time_machine.travel(TUESDAY_10 + timedelta(days=7, minutes=1), tick=False):
        assert message(post(client, code)) == NO_CODE
    waiting.refresh_from_db()
    assert waiting.mobile_confirmed_at is None


def test_a_code_is_for_its_number_and_patient(client, waiting):
    other = PatientFactory(mobile_number="+447700900777", sms_check_ins=True)
    code = new_code(other)
    if code != new_code(waiting):  # (a 1 in 10,000 chance that both drew the same)
        assert message(post(client, code)) == WRONG_CODE


def test_code_asks_for_a_new_code_within_the_days_limit(client, waiting, settings):
    settings.SMS_PER_NUMBER_PER_HOUR = 20
    first = new_code(waiting)
    answers = [message(post(client, "code", sid=f"SM{n}")) for n in range(4)]
    for answer in answers[:3]:
        assert answer.startswith("Reply ") and "Not you? Ignore this text." in answer
    assert answers[3] == "We have sent several codes today. Please try again tomorrow."
    latest = code_in(answers[2])
    if latest != first:
        assert message(post(client, first, sid="SMold")) == WRONG_CODE
    assert message(post(client, latest, sid="SMnew")) == CONFIRMED


def test_changing_the_number_needs_a_new_confirmation(client, patient_client, patient, sms_file):
    Patient.objects.filter(pk=patient.pk).update(
        mobile_number=NUMBER, sms_check_ins=True, mobile_confirmed_at=timezone.now()
    )
    # Saving the same number again keeps the confirmation, and sends nothing.
    opt_in(patient_client)
    patient.refresh_from_db()
    assert patient.mobile_confirmed_at is not None and texts(sms_file) == []
    response = opt_in(patient_client, "+447700900999")
    patient.refresh_from_db()
    assert patient.mobile_number == "+447700900999" and patient.mobile_confirmed_at is None
    [line] = texts(sms_file)
    assert "SMS to +447700900999 " in line
    assert "Waiting for you to reply to our text with the code" in response.text
    # The old number's replies are no longer anyone's; the new one's are not check-ins yet.
    assert message(post(client, "OK", sid="SMold")) == ""
    post(client, "OK", sid="SMnew", sender="+447700900999")
    assert not CheckIn.objects.exists()
    assert message(post(client, code_in(line), sid="SMc", sender="+447700900999")) == CONFIRMED


def test_send_the_code_again_sends_a_new_code_a_few_times_a_day(patient_client, waiting, sms_file):
    said = [patient_client.post(PAGE, {"send_code": "1"}, follow=True).text for _ in range(4)]
    lines = texts(sms_file)
    assert len(lines) == 3
    assert f"We texted a code to {NUMBER}." in said[0]
    assert "No code sent: we have sent several codes today." in said[3]
    waiting.refresh_from_db()
    assert waiting.mobile_confirmed_at is None


def test_send_the_code_again_does_nothing_for_a_confirmed_number(patient_client, patient, sms_file):
    Patient.objects.filter(pk=patient.pk).update(
        mobile_number=NUMBER, sms_check_ins=True, mobile_confirmed_at=timezone.now()
    )
    response = patient_client.post(PAGE, {"send_code": "1"}, follow=True)
    assert "Your number needs no code now." in response.text
    assert texts(sms_file) == []


def test_a_code_that_cannot_be_sent_is_said(patient_client, patient, monkeypatch):
    monkeypatch.setattr(sms_confirmation.text_patient, "send", lambda **kwargs: [])
    response = opt_in(patient_client)
    assert "The text with your code could not be sent." in response.text


def test_an_unconfirmed_number_gets_no_texted_reminder(
    waiting, sms_file, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(TUESDAY_1830, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert send_due_reminders(now=TUESDAY_1830) == 1
    # Alice has a password and an address: her reminder is emailed, never texted.
    assert texts(sms_file) == []
    assert [m.to for m in mail.outbox] == [[waiting.user.email]]


def sms_only_patient(team, *, confirmed):
    user = UserFactory()
    user.set_unusable_password()  # enrolled in clinic, never logged in
    user.save()
    patient = PatientFactory(
        care_team=team,
        user=user,
        mobile_number="+447700900321",
        sms_check_ins=True,
        mobile_confirmed_at=TUESDAY_1830 - timedelta(days=1) if confirmed else None,
    )
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient)
    return patient


@pytest.mark.parametrize("confirmed", [True, False])
def test_an_sms_only_patient_with_no_password_is_texted_once_confirmed(
    team, sms_file, confirmed, django_capture_on_commit_callbacks
):
    patient = sms_only_patient(team, confirmed=confirmed)
    with (
        time_machine.travel(TUESDAY_1830, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        written = send_due_reminders(now=TUESDAY_1830)
    assert mail.outbox == []
    if confirmed:
        assert written == 1
        [line] = texts(sms_file)
        assert f"SMS to {patient.mobile_number} [reminder-" in line
    else:
        assert written == 0 and texts(sms_file) == [] and not Reminder.objects.exists()


def test_a_reminder_is_not_emailed_to_a_patient_with_no_password(team, sms_file):
    # Confirmed when the sweep wrote it, the number changed since: no email link.
    patient = sms_only_patient(team, confirmed=True)
    reminder = Reminder.objects.create(patient=patient, local_date=TUESDAY_1830.date())
    Patient.objects.filter(pk=patient.pk).update(mobile_confirmed_at=None)
    assert deliver_reminder(reminder.pk, now=TUESDAY_1830) is False
    assert mail.outbox == [] and texts(sms_file) == []


def test_an_invited_email_patient_still_gets_no_reminder(team, django_capture_on_commit_callbacks):
    patient = sms_only_patient(team, confirmed=False)
    Patient.objects.filter(pk=patient.pk).update(sms_check_ins=False, mobile_number="")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(now=TUESDAY_1830) == 0


def test_a_nurse_enrolling_for_sms_texts_the_code(team, sms_file):
    patient = sms_only_patient(team, confirmed=False)
    said, sent = text_confirmation_code(patient)
    assert sent and said.startswith(f"We texted {patient.mobile_number} a code:")
    [line] = texts(sms_file)
    assert f"Reply {code_in(line)} to start SMS check-ins from {team.name}." in line
    patient.refresh_from_db()
    assert patient.mobile_code_hash and patient.mobile_confirmed_at is None
    # Nothing to send for a patient without SMS check-ins.
    Patient.objects.filter(pk=patient.pk).update(sms_check_ins=False)
    patient.refresh_from_db()
    assert text_confirmation_code(patient) == ("", True)


def test_the_patient_page_tells_the_team_whether_the_number_is_confirmed(nurse_client, waiting):
    page = f"/triage/patients/{waiting.pk}/"

    html = nurse_client.get(page).content.decode()
    assert f"SMS check-ins from {NUMBER}:" in html
    assert "waiting for the patient to reply to our text with its code" in html

    Patient.objects.filter(pk=waiting.pk).update(
        mobile_confirmed_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    )
    html = nurse_client.get(page).content.decode()
    assert "number confirmed 20 Nov 2026." in html and "waiting for the patient" not in html


def test_the_team_texts_the_code_again_from_the_patient_page(nurse_client, waiting, sms_file):
    url = f"/triage/patients/{waiting.pk}/sms-code/"
    assert "Text the code again" in nurse_client.get(f"/triage/patients/{waiting.pk}/").text

    response = nurse_client.post(url, follow=True)

    assert f"We texted {NUMBER} a code" in response.text
    assert len(texts(sms_file)) == 1 and "to start SMS check-ins" in texts(sms_file)[0]
    waiting.refresh_from_db()
    assert waiting.mobile_code_hash and waiting.mobile_confirmed_at is None
    assert AuditEvent.objects.filter(detail="SMS code texted", patient_id=waiting.pk).exists()

    Patient.objects.filter(pk=waiting.pk).update(mobile_confirmed_at=timezone.now())
    response = nurse_client.post(url, follow=True)
    assert "needs no code now" in response.text and len(texts(sms_file)) == 1
    assert "Text the code again" not in response.text


def test_another_teams_patient_gets_no_code(client, other_nurse, waiting, sms_file):
    login(client, other_nurse)
    response = client.post(f"/triage/patients/{waiting.pk}/sms-code/")
    assert response.status_code == 404 and texts(sms_file) == []
