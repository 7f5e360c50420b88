"""What leaves the system: SMS bodies and webhook payloads carry no symptom, value,
note or name, whatever the check-in said; nor does any email's subject. Alert
emails go to the care team's own address, and their bodies carry the details.

tests/alerts/test_channels.py checks one symptom per channel; this checks every
item of the catalogue at once, the patient's identifiers, escalated alerts and the
service's other emails."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail

from alerts.channels import http
from alerts.models import Notification
from alerts.services import delivery, escalation, flagging
from clinical.catalogue import ITEMS
from patients.invitations import invite_carer, invite_patient
from patients.models import Reminder
from patients.services.reminders import deliver_reminder

from ..alerts.test_channels import FakeProvider
from ..factories import make_check_in
from .conftest import TUESDAY_10

EVERYTHING = {
    "stools_per_day": 12,
    "abdominal_pain": 4,
    "nausea": 4,
    "shortness_of_breath": 4,
    "headache": 4,
    "rash": 4,
    "wellbeing": 1,
    "temperature_c": "39.6",
    "chest_pain": True,
    "yellow_skin_or_eyes": True,
    "dark_urine": True,
    "free_text": "Fell over in the garden",
    "new_medicines": "ibuprofen 400mg",
}
URL = re.compile(r"https?://\S+")


@pytest.fixture
def provider(monkeypatch, settings):
    settings.SMS_API_URL = "https://sms.example.test/Messages.json"
    settings.SMS_ACCOUNT, settings.SMS_TOKEN, settings.SMS_FROM = "AC1", "secret", "+447700900000"
    fake = FakeProvider()
    monkeypatch.setattr(http, "post", fake)
    return fake


@pytest.fixture
def sent(patient, team, provider):
    """A check-in with every kind of finding, alerted over SMS, email and webhook to
    the first contact and, unacknowledged, escalated to the next: all delivered."""
    for contact in team.contacts.all():
        contact.webhook_url = f"https://chat.example.test/hooks/{contact.pk}"
        contact.save()
    patient.date_of_birth = "1958-03-14"
    patient.save()
    check_in = make_check_in(patient, at=TUESDAY_10, **EVERYTHING)
    flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(hours=1))
    notifications = Notification.objects.filter(alert__check_in=check_in)
    for notification in notifications:
        delivery.deliver_notification(notification.pk, now=TUESDAY_10 + timedelta(hours=1))
    assert {n.level for n in notifications} == {0, 1}
    assert {n.channel for n in notifications} == {"sms", "email", "webhook"}
    return check_in


def symptom_words(check_in) -> list[str]:
    """Every item of the catalogue, however written, and what this check-in reported."""
    words = [EVERYTHING["free_text"], EVERYTHING["new_medicines"], "12/day", "39.6"]
    for item in ITEMS:
        words += [item.key, item.key.replace("_", " "), item.label]
    words += [flag.explanation for flag in check_in.flags.all()]
    words += [f"{flag.rule} " for flag in check_in.flags.all()]
    return words


def forbidden(check_in) -> list[str]:
    """The above, and who the patient is and what they are treated with."""
    user = check_in.patient.user
    who = [user.first_name, user.last_name, user.username, user.email]
    treated = [check_in.patient.hospital_number, "1958", "pembrolizumab"]
    return [*who, *treated, *symptom_words(check_in)]


def leaks(text: str, words) -> list[str]:
    text = URL.sub("", text).lower()  # a signed link is opaque, whatever letters it has
    return [word for word in words if word.lower() in text]


def test_sms_bodies_carry_no_symptom_or_name(sent, provider):
    bodies = [call["form"]["Body"] for call in provider.calls if "form" in call]

    assert len(bodies) == 2  # the first contact, then the escalation
    for body in bodies:
        assert leaks(body, forbidden(sent)) == []
        assert "RED alert, a patient needs review" in body or "EMERGENCY" in body


def test_webhook_payloads_carry_no_symptom_or_name(sent, provider):
    payloads = [call["body"].decode() for call in provider.calls if "body" in call]

    assert len(payloads) == 2
    for payload in payloads:
        data = json.loads(payload)
        assert set(data) == {
            "event",
            "alert_id",
            "urgency",
            "team",
            "escalation_level",
            "created_at",
            "acknowledge_url",
            "queue_url",
            "idempotency_key",
            "text",
        }
        assert leaks(payload, forbidden(sent)) == []


def test_alert_email_subjects_carry_nothing_but_the_bodies_carry_the_details(sent):
    assert len(mail.outbox) == 2
    for email in mail.outbox:
        assert leaks(email.subject, forbidden(sent)) == []
        assert email.to[0].endswith("@example.org")  # a contact's own address
    # The body is for the care team: it names the patient and the findings.
    body = mail.outbox[0].body
    assert sent.patient.hospital_number in body
    assert all(flag.explanation in body for flag in sent.flags.all())


def test_the_services_other_emails_carry_no_symptom_in_their_subjects(patient, carer, sent):
    mail.outbox.clear()
    reminder = Reminder.objects.create(patient=patient, local_date=TUESDAY_10.date())
    deliver_reminder(reminder.pk, now=TUESDAY_10)
    invite_patient(patient)
    invite_carer(patient.carers.get())

    symptoms = symptom_words(sent)  # a carer's invitation names the patient who sent it
    assert len(mail.outbox) == 3
    for email in mail.outbox:
        assert leaks(email.subject, symptoms) == []
        assert leaks(email.body, symptoms) == []
