"""A patient with something of every kind on record, for the export and erasure tests."""

import email
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from django.utils import timezone

from alerts.models import PhoneCall
from alerts.services import delivery, escalation, flagging, triage
from patients.models import Carer, Flag, Question, Reminder, SmsReply

from ..factories import PatientFactory, UserFactory, make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # in hours in London
FREE_TEXT = "Walked to the allotment and felt faint"
QUESTION = "Can I still garden while on treatment?"
ACTION_NOTE = "Phoned her: advised the assessment unit"
RESOLUTION_NOTE = "Seen in clinic, settled with fluids"
CALL_NOTE = "Rang her back: loperamide discussed by phone"


def flagged(patient, at=TUESDAY_10, **answers) -> Flag:
    """A check-in run through the worker: its most urgent flag."""
    check_in = make_check_in(patient, at=at, **answers)
    flagging.flag_check_in(check_in.pk, now=at)
    return Flag.objects.filter(check_in=check_in).most_urgent_first().first()


@pytest.fixture
def full_record(patient, nurse):
    """Alice with check-ins, flags, an alert delivered and escalated, an episode acted
    on and resolved, questions, a reminder and two carers (one cares for no one else)."""
    flag = flagged(patient, stools_per_day=9, abdominal_pain=3, free_text=FREE_TEXT)
    flagged(patient, TUESDAY_10 + timedelta(days=1), headache=3)
    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(hours=1))
    for notification_id in flag.check_in.alert.notifications.values_list("pk", flat=True):
        delivery.deliver_notification(notification_id, now=TUESDAY_10 + timedelta(minutes=1))
    triage.record_action(flag, nurse, kind="phoned", note=ACTION_NOTE)
    triage.resolve_flag(flag, nurse, note=RESOLUTION_NOTE)
    PhoneCall.objects.create(
        check_in=flag.check_in, engine_urgency="red", urgency="red", advice="attend_now",
        note=CALL_NOTE, by=nurse,
    )  # fmt: skip
    Question.objects.create(patient=patient, text=QUESTION, answer="Yes, with gloves")
    Reminder.objects.create(patient=patient, local_date=TUESDAY_10.date(), sent_at=TUESDAY_10)
    SmsReply.objects.create(
        patient=patient, message_sid="SMprivacy", received_at=TUESDAY_10, outcome="red",
        check_in=flag.check_in,
    )  # fmt: skip
    return patient


@pytest.fixture
def carer_only(patient):
    """Someone who cares for Alice and for no one else: their account goes with her."""
    user = UserFactory(username="cassiopeia", first_name="Cassiopeia", last_name="Vance")
    Carer.objects.create(
        patient=patient,
        name="Cassiopeia Vance",
        email=user.email,
        user=user,
        accepted_at=timezone.now(),
    )
    return user


@pytest.fixture
def shared_carer(patient, team):
    """Someone who cares for Alice and for Carol: their account stays for Carol."""
    carol = PatientFactory(
        care_team=team, user=UserFactory(username="carol", first_name="Carol", last_name="Reyes")
    )
    user = UserFactory(username="dorian", first_name="Dorian", last_name="Pike")
    for cared_for in (patient, carol):
        Carer.objects.create(
            patient=cared_for,
            name="Dorian",
            email=user.email,
            user=user,
            accepted_at=timezone.now(),
        )
    return user


@pytest.fixture
def dev_files(settings, tmp_path):
    """The files the project writes in development: the file email backend's folder
    and SMS_FILE. Ask for it before the records, so that their messages land there."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SMS_FILE = str(tmp_path / "sms.log")
    return tmp_path


def files_text(folder) -> str:
    """Everything written under `folder`, decoded: each email's headers and parts as a
    mail reader shows them (a subject may be encoded), and plain files as they are."""
    out = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        out.append(raw.decode(errors="replace"))
        for chunk in raw.split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=policy.default)
                out += [f"{k}: {v}" for k, v in message.items()]
                out += [
                    part.get_content()
                    for part in message.walk()
                    if part.get_content_maintype() == "text"
                ]
    return "\n".join(out)
