"""Acceptance 2 of issue 15, on the real stack: an SMS reply of 9 stools against a
usual of 1 becomes a red flag and an alert, exactly once, though the provider
delivers the webhook twice."""

import pytest
from django.test import Client
from django.utils import timezone

from alerts.channels.sms import twilio_signature
from alerts.models import Alert, DeliveryAttempt, Notification
from patients.models import CheckIn, Flag, SmsReply

from ..factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    london_contact_list,
)
from .conftest import wait_for
from .test_worker import _queue_empty

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

URL = "https://tracker.example.org/sms/inbound/"
TOKEN = "integration-auth-token"
NUMBER = "+447700900123"
CONFIRMED = timezone.now()  # the number, confirmed by its code


@pytest.fixture
def patient(services_ready, settings):
    settings.SMS_TOKEN = TOKEN
    settings.SMS_INBOUND_URL = URL
    team = CareTeamFactory(time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(
        care_team=team, mobile_number=NUMBER, sms_check_ins=True, mobile_confirmed_at=CONFIRMED
    )
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient, stools_per_day=1)
    return patient


def deliver(client, params):
    signature = twilio_signature(URL, params, TOKEN)
    return client.post("/sms/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_an_sms_reply_of_9_stools_delivered_twice_is_one_red_flag_and_one_alert(patient, worker):
    params = {"From": NUMBER, "To": "+447700900000", "Body": "d9", "MessageSid": "SMacceptance2"}
    client = Client()
    first = deliver(client, params)
    second = deliver(client, params)  # the provider retries: the same message again

    # The patient's advice came back in the request, before any worker, both times.
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert b"now, day or night" in first.content and b"stool" not in first.content.lower()

    check_in = CheckIn.objects.get(patient=patient)
    assert check_in.urgency == "red" and check_in.entered_by == "sms"
    assert SmsReply.objects.get().check_in == check_in

    def alerted():
        return Notification.objects.filter(alert__check_in=check_in, status="sent").count() == 2

    wait_for(alerted, what="the alert's notifications to be sent")
    wait_for(_queue_empty, what="the worker to drain the queue")

    assert CheckIn.objects.filter(patient=patient).count() == 1
    flags = Flag.objects.filter(check_in__patient=patient)
    assert [(f.symptom, f.urgency, f.rule) for f in flags] == [("stools_per_day", "red", "R2")]
    assert Alert.objects.filter(check_in__patient=patient).count() == 1
    notifications = Notification.objects.filter(alert__check_in=check_in)
    assert sorted(n.channel for n in notifications) == ["email", "sms"]
    assert all(n.attempts == 1 and n.sent_at <= timezone.now() for n in notifications)
    assert DeliveryAttempt.objects.filter(notification__in=notifications).count() == 2
    # The care team's SMS was sent once; the patient's answer was the webhook's reply.
    sms = (worker.outbox / "sms.log").read_text().splitlines()
    assert len(sms) == 1 and check_in.alert.contact.sms_number in sms[0]
