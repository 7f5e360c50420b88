"""A patient's story for the FHIR tests: check-ins by the patient, a carer and a
clinician by phone, flags in episodes (one resolved), an alert with a notification
over each channel, one acknowledged."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from alerts.models import Alert, Notification
from tests.factories import make_check_in, make_flag


def notify(check_in, contact, urgency="red", *, channels=("email", "sms", "webhook"), **fields):
    alert = Alert.objects.create(
        check_in=check_in, urgency=urgency, contact=contact, routing_reason="on duty"
    )
    addresses = {
        "email": contact.email,
        "sms": contact.sms_number,
        "webhook": "https://h.example.org/x",
    }
    return [
        Notification.objects.create(
            alert=alert, contact=contact, channel=c, address=addresses[c], **fields
        )
        for c in channels
    ]


def story(patient, *, nurse=None, carer=None, days=3) -> dict:
    """`days` check-ins, each flagged red for stools and notified; the first episode's
    flags acknowledged by `nurse` when given."""
    now = timezone.now()
    contact = patient.care_team.contacts.order_by("order").first()
    check_ins, flags, notifications = [], [], []
    for day in range(days):
        at = now - timedelta(days=days - day)
        check_in = make_check_in(
            patient,
            at=at,
            stools_per_day=7,
            nausea=2,
            wellbeing=6,
            temperature_c=Decimal("37.8"),
            chest_pain=False,
            free_text="Tired after the walk",
        )
        check_ins.append(check_in)
        flag = make_flag(check_in, "stools_per_day", "red", rule="R2", explanation="7/day vs 1/day")
        flags.append(flag)
        notifications += notify(check_in, contact, sent_at=at, status="sent")
    if carer is not None:
        check_in = make_check_in(patient, at=now - timedelta(hours=2), nausea=1)
        check_in.entered_by, check_in.entered_by_user = "carer", carer
        check_in.save(update_fields=["entered_by", "entered_by_user"])
        check_ins.append(check_in)
    if nurse is not None:
        check_in = make_check_in(patient, at=now - timedelta(hours=1), cough=3)
        check_in.entered_by, check_in.entered_by_user = "clinician", nurse
        check_in.save(update_fields=["entered_by", "entered_by_user"])
        check_ins.append(check_in)
        flags.append(
            make_flag(
                check_in,
                "cough",
                "amber",
                rule="R7",
                explanation="cough 3 (severe)",
                status="resolved",
                resolved_at=now,
                resolved_by=nurse,
                acknowledged_at=now - timedelta(minutes=30),
                acknowledged_by=nurse,
            )
        )
        notifications += notify(check_in, contact, "amber", channels=("sms",), status="failed")
    return {"check_ins": check_ins, "flags": flags, "notifications": notifications}
