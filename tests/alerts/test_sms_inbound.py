"""Check-ins by SMS reply: the provider's webhook (alerts/views/sms.py) and what
patients.services.sms makes of each reply."""

import shlex
from datetime import UTC, datetime
from io import StringIO
from urllib.parse import parse_qsl

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.channels.sms import twilio_signature
from clinical.catalogue import ITEMS
from patients.models import AuditEvent, CheckIn, SmsReply

from ..factories import BaselineFactory, CareTeamFactory, PatientFactory, london_contact_list

pytestmark = pytest.mark.django_db

URL = "https://tracker.example.org/sms/inbound/"
TOKEN = "test-auth-token"
NUMBER = "+447700900123"
# A Tuesday at 10:00 in London: the weekday nurse is on duty.
TUESDAY_10 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
CONFIRMED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # the number, confirmed by its code


@pytest.fixture(autouse=True)
def provider(settings):
    settings.SMS_TOKEN = TOKEN
    settings.SMS_INBOUND_URL = URL
    settings.SMS_PER_NUMBER_PER_HOUR = 3
    settings.EMERGENCY_NUMBER = "999"


@pytest.fixture
def patient():
    team = CareTeamFactory(time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(
        care_team=team, mobile_number=NUMBER, sms_check_ins=True, mobile_confirmed_at=CONFIRMED
    )
    BaselineFactory(patient=patient, stools_per_day=1)
    return patient


def post(client, body, *, sid="SM0001", sender=NUMBER, token=TOKEN, signature=None):
    params = {"From": sender, "To": "+447700900000", "Body": body, "MessageSid": sid}
    if signature is None:
        signature = twilio_signature(URL, params, token)
    return client.post("/sms/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signature)


def message(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
    if "<Message>" not in text:
        assert text.endswith("<Response></Response>")
        return ""
    return text.split("<Message>", 1)[1].split("</Message>", 1)[0]


def counts():
    return (CheckIn.objects.count(), SmsReply.objects.count(), AuditEvent.objects.count())


def test_it_computes_twilios_documented_example_signature():
    # Twilio's security documentation's worked example.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_a_signed_ok_becomes_a_check_in_as_usual(client, patient):
    answer = message(post(client, "ok"))
    assert answer == "Thank you, received."
    check_in = CheckIn.objects.get()
    assert check_in.entered_by == "sms" and check_in.entered_by_user == patient.user
    assert check_in.stools_per_day == 1 and check_in.chest_pain is False
    assert check_in.urgency == "green" and check_in.free_text == ""
    reply = SmsReply.objects.get()
    assert (reply.patient, reply.message_sid, reply.check_in, reply.outcome) == (
        patient,
        "SM0001",
        check_in,
        "green",
    )
    event = AuditEvent.objects.get(action="created")
    assert event.actor_id == patient.user_id and event.object_id == str(check_in.pk)


@pytest.mark.parametrize(
    "signature",
    ["", "bm90IHRoZSBzaWduYXR1cmU=", twilio_signature(URL, {"Body": "OK"}, TOKEN), "é"],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_saved(client, patient, signature):
    before = counts()
    response = post(client, "CP", signature=signature)
    assert response.status_code == 403
    assert counts() == before


def test_a_signature_under_another_token_is_refused(client, patient):
    assert post(client, "CP", token="someone-elses").status_code == 403
    assert CheckIn.objects.count() == 0


def test_with_no_token_set_every_request_is_refused(client, patient, settings):
    settings.SMS_TOKEN = ""
    assert post(client, "CP", token="").status_code == 403
    assert CheckIn.objects.count() == 0


def test_a_get_is_not_the_webhook(client):
    assert client.get("/sms/inbound/").status_code == 405


@pytest.mark.parametrize("case", ["unknown", "opted_out", "inactive"])
def test_a_number_that_is_no_sms_patients_is_ignored(client, patient, case):
    sender = NUMBER
    if case == "unknown":
        sender = "+447700900555"
    elif case == "opted_out":
        patient.sms_check_ins = False
        patient.save()
    else:
        patient.user.is_active = False
        patient.user.save()
    before = counts()
    assert message(post(client, "CP", sender=sender)) == ""
    assert counts() == before


def test_a_malformed_reply_gets_the_help_text_and_nothing_is_saved(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    before = counts()
    answer = message(post(client, "feeling rough today"))
    assert answer.startswith("Sorry, we could not read that. Reply OK if all is as usual")
    assert "codes on your card" in answer
    assert "Immunotherapy nurse specialist on 020 7946 0101" in answer
    assert "999" in answer
    assert counts() == before


def test_a_warning_sign_is_answered_at_once_with_the_urgent_line(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    answer = message(post(client, "BL"))
    assert answer == (
        "Please call Immunotherapy nurse specialist on 020 7946 0101 now, day or night. "
        "If you cannot get through, call 999."
    )
    assert CheckIn.objects.get().urgency == "red"


def test_chest_pain_is_answered_with_the_emergency_number(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    answer = message(post(client, "OK CP"))
    assert answer == (
        "Call 999 now for an ambulance. Then call Acute oncology 24-hour line on 020 7946 0999."
    )
    assert SmsReply.objects.get().outcome == "emergency"


def test_an_amber_reply_is_told_to_contact_the_team_today(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    answer = message(post(client, "D3"))
    assert answer == (
        "Please contact your care team today: call Immunotherapy nurse specialist on 020 7946 0101."
    )


def test_a_reply_is_escaped_in_the_twiml(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    patient.care_team.contacts.filter(order=1).update(name="Nurses <A&E>")
    text = post(client, "BL").content.decode()
    assert "Nurses &lt;A&amp;E&gt; on" in text and "<A&E>" not in text


@pytest.mark.parametrize(
    "body", ["OK", "D9", "OK CP", "D3", "BL", "nonsense", "T38.5 N4 H3", "cp please help"]
)
def test_no_answer_names_a_symptom(client, patient, time_machine, body):
    time_machine.move_to(TUESDAY_10, tick=False)
    answer = message(post(client, body, sid=f"SM-{body}")).lower()
    for item in ITEMS:
        assert item.label.lower() not in answer
        assert str(item.question).lower() not in answer
    for word in ("stool", "diarrh", "temperature", "fever", "chest", "pain", "blood"):
        assert word not in answer


def test_the_same_message_delivered_twice_makes_one_check_in(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    first = message(post(client, "D9", sid="SMtwice"))
    with CaptureQueriesContext(connection) as queries:
        second = message(post(client, "D9", sid="SMtwice"))
    assert first == second and "now, day or night" in first
    assert CheckIn.objects.count() == 1 and SmsReply.objects.count() == 1
    assert AuditEvent.objects.filter(action="created").count() == 1
    assert not any(q["sql"].startswith("INSERT") for q in queries.captured_queries)


def test_another_patients_message_id_is_not_answered_as_theirs(client, patient):
    other = PatientFactory(
        care_team=patient.care_team,
        mobile_number="+447700900777",
        sms_check_ins=True,
        mobile_confirmed_at=CONFIRMED,
    )
    BaselineFactory(patient=other)
    message(post(client, "BL", sid="SMsame"))
    assert message(post(client, "OK", sid="SMsame", sender="+447700900777")) == ""
    assert not other.check_ins.exists()


def test_beyond_the_numbers_limit_nothing_is_saved_and_nothing_answered(
    client, patient, time_machine
):
    time_machine.move_to(TUESDAY_10, tick=False)
    for n in range(3):
        assert message(post(client, "OK", sid=f"SM{n}")) == "Thank you, received."
    before = counts()
    assert message(post(client, "OK", sid="SM3")) == ""
    assert message(post(client, "nonsense", sid="SM4")) == ""  # a loop gets no help text
    assert counts() == before


def test_beyond_the_numbers_limit_a_warning_sign_is_still_taken_and_answered(
    client, patient, time_machine
):
    time_machine.move_to(TUESDAY_10, tick=False)
    for n in range(3):
        message(post(client, "OK", sid=f"SM{n}"))
    answer = message(post(client, "OK FT", sid="SMwarn"))
    assert "now, day or night" in answer
    assert CheckIn.objects.filter(fainting=True).count() == 1
    # And a reply the engine judges red: 9 stools against a usual of 1.
    assert "now, day or night" in message(post(client, "D9", sid="SMred"))
    assert CheckIn.objects.filter(stools_per_day=9, urgency="red").count() == 1


def test_the_limit_is_per_number(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    other = PatientFactory(
        care_team=patient.care_team,
        mobile_number="+447700900777",
        sms_check_ins=True,
        mobile_confirmed_at=CONFIRMED,
    )
    BaselineFactory(patient=other)
    for n in range(3):
        message(post(client, "OK", sid=f"SM{n}"))
    assert message(post(client, "OK", sid="SMother", sender="+447700900777")) != ""
    assert other.check_ins.count() == 1


def test_the_hours_limit_of_check_ins_answers_without_saving(
    client, patient, settings, time_machine
):
    time_machine.move_to(TUESDAY_10, tick=False)
    settings.CHECK_INS_PER_HOUR = 1
    message(post(client, "OK", sid="SM1"))
    answer = message(post(client, "OK", sid="SM2"))
    assert answer.startswith("Not saved: too many check-ins in the last hour.")
    assert CheckIn.objects.count() == 1 and SmsReply.objects.count() == 1


def test_the_sms_signature_command_prints_a_request_the_webhook_takes(client, patient):
    out = StringIO()
    call_command("sms_signature", "OK", "D9", "--from", NUMBER, "--sid", "SMcmd", stdout=out)
    words = shlex.split(out.getvalue())
    signature = words[words.index("-H") + 1].split(": ", 1)[1]
    data = dict(parse_qsl(words[words.index("--data") + 1]))
    assert words[2] == URL and data["Body"] == "OK D9"
    response = client.post("/sms/inbound/", data, HTTP_X_TWILIO_SIGNATURE=signature)
    assert message(response) != "" and CheckIn.objects.get().stools_per_day == 9


def test_a_warning_sign_with_a_full_stop_is_read(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    answer = message(post(client, "CP."))
    assert answer.startswith("Call 999 now for an ambulance.")
    assert "could not read" not in answer
    assert CheckIn.objects.get().chest_pain is True


def test_a_warning_sign_in_an_unreadable_reply_is_taken_with_the_rest_unread(
    client, patient, time_machine
):
    time_machine.move_to(TUESDAY_10, tick=False)
    answer = message(post(client, "cp please help"))
    assert answer == (
        "Call 999 now for an ambulance. Then call Acute oncology 24-hour line on "
        "020 7946 0999. We could not read the rest of your message."
    )
    check_in = CheckIn.objects.get()
    assert (check_in.chest_pain, check_in.urgency, check_in.entered_by) == (
        True,
        "emergency",
        "sms",
    )
    # Only the warning sign is answered: nothing else is taken as "no" or as usual.
    assert check_in.fainting is None and check_in.stools_per_day is None
    assert SmsReply.objects.get().outcome == "emergency"


def test_a_red_warning_sign_in_an_unreadable_reply_is_taken(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    answer = message(post(client, "blood BL again"))
    assert answer.startswith("Please call Immunotherapy nurse specialist on 020 7946 0101 now")
    assert answer.endswith("We could not read the rest of your message.")
    assert CheckIn.objects.get().urgency == "red"


def test_beyond_the_numbers_limit_a_warning_sign_in_an_unreadable_reply_is_still_taken(
    client, patient, time_machine
):
    time_machine.move_to(TUESDAY_10, tick=False)
    for n in range(3):
        message(post(client, "OK", sid=f"SM{n}"))
    assert message(post(client, "help me", sid="SMhelp")) == ""  # no warning sign: flood
    answer = message(post(client, "cp please help", sid="SMcp"))
    assert answer.startswith("Call 999 now for an ambulance.")
    assert answer.endswith("We could not read the rest of your message.")
    assert CheckIn.objects.filter(chest_pain=True).count() == 1


@pytest.mark.parametrize("body", ["STOP", "stop.", "Unsubscribe"])
def test_stop_turns_sms_check_ins_off_from_the_phone_itself(client, patient, time_machine, body):
    time_machine.move_to(TUESDAY_10)

    answer = message(post(client, body, sid="SMstop1"))

    assert answer.startswith("You will get no more texts from us")
    assert "In an emergency call 999." in answer
    patient.refresh_from_db()
    assert not patient.sms_check_ins and not patient.texts_check_ins
    assert patient.mobile_confirmed_at is None  # on again, the number is confirmed again
    assert AuditEvent.objects.get(action="changed").detail == "SMS check-ins stopped by a STOP text"
    # Nothing more is read from the number, nor answered, a STOP again included.
    assert message(post(client, "OK", sid="SMstop2")) == ""
    assert message(post(client, "STOP", sid="SMstop3")) == ""
    assert not CheckIn.objects.exists()


def test_stop_inside_a_reply_is_not_an_opt_out(client, patient, time_machine):
    time_machine.move_to(TUESDAY_10)

    answer = message(post(client, "CP stop"))

    assert "999" in answer and CheckIn.objects.get().chest_pain is True
    patient.refresh_from_db()
    assert patient.sms_check_ins
