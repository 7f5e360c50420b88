"""What keeps an alert from being lost: lost workers, unexpected errors, broken lists."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail

from alerts.channels import ChannelError
from alerts.models import Alert, DeliveryAttempt, Notification
from alerts.services import delivery, escalation, flagging, sweep

from ..factories import make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SOON = TUESDAY_10 + timedelta(minutes=1)


def email_of(check_in):
    flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    return Notification.objects.get(alert__check_in=check_in, channel="email")


def test_a_worker_lost_between_claim_and_attempt_is_recovered_by_the_sweep(
    patient, django_capture_on_commit_callbacks
):
    email = email_of(make_check_in(patient, at=TUESDAY_10, stools_per_day=9))
    # Claimed, then the worker died before it wrote its attempt row.
    Notification.objects.filter(pk=email.pk).update(
        status="sending", attempts=1, claimed_at=TUESDAY_10
    )
    Notification.objects.exclude(pk=email.pk).update(status="sent")

    later = TUESDAY_10 + timedelta(minutes=11)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        sweep.send_due_notifications(now=later)

    email.refresh_from_db()
    assert email.status == "sent" and len(mail.outbox) == 1


def test_a_delivery_still_in_progress_is_left_alone_by_the_sweep(patient):
    email = email_of(make_check_in(patient, at=TUESDAY_10, stools_per_day=9))
    Notification.objects.filter(pk=email.pk).update(status="sending", claimed_at=TUESDAY_10)

    sweep.send_due_notifications(now=TUESDAY_10 + timedelta(minutes=5))

    assert Notification.objects.get(pk=email.pk).status == "sending"


def test_an_unexpected_channel_error_is_retried_like_a_transient_one(patient, monkeypatch):
    email = email_of(make_check_in(patient, at=TUESDAY_10, stools_per_day=9))

    def explode(self, *args, **kwargs):
        raise RuntimeError("provider library bug")

    monkeypatch.setattr("alerts.channels.email.EmailChannel.deliver", explode)
    delay = delivery.deliver_notification(email.pk, now=SOON)

    email.refresh_from_db()
    assert delay == delivery.DELIVERY_BACKOFF[0]
    assert email.status == "queued" and "RuntimeError: provider library bug" in email.last_error
    attempt = DeliveryAttempt.objects.get(notification=email)
    assert attempt.ok is False and attempt.finished_at is not None


def test_an_alert_that_could_not_be_routed_is_raised_once_the_list_is_mended(patient, team):
    team.contacts.update(active=False)  # an admin broke the list
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)

    assert flagging.flag_check_in(check_in.pk, now=TUESDAY_10) == []
    assert check_in.flags.count() == 1 and not Alert.objects.exists()

    team.contacts.update(active=True)
    sweep.send_due_notifications(now=TUESDAY_10 + timedelta(minutes=1))
    sweep.send_due_notifications(now=TUESDAY_10 + timedelta(minutes=2))

    alert = Alert.objects.get(check_in=check_in)
    assert alert.contact == team.contacts_by_role["nurse"]
    assert Notification.objects.filter(alert=alert).count() == 2


def test_amber_goes_by_the_red_route_when_nobody_can_take_amber(patient, team):
    team.contacts.update(handles_amber=False)
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=3)

    flagging.flag_check_in(check_in.pk, now=TUESDAY_10)

    alert = Alert.objects.get(check_in=check_in)
    assert alert.urgency == "amber"
    assert alert.contact == team.contacts_by_role["nurse"]
    assert "nobody can take amber" in alert.routing_reason


def test_a_late_permanent_failure_after_escalation_does_not_pull_the_alert_back(
    patient, team, monkeypatch
):
    email = email_of(make_check_in(patient, at=TUESDAY_10, stools_per_day=9))
    alert = email.alert
    Notification.objects.filter(alert=alert, channel="sms").update(status="failed")
    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=15))
    alert.refresh_from_db()
    assert alert.contact == team.contacts_by_role["line"]

    def refuse(self, *args, **kwargs):
        raise ChannelError("address refused", permanent=True)

    monkeypatch.setattr("alerts.channels.email.EmailChannel.deliver", refuse)
    delivery.deliver_notification(email.pk, now=TUESDAY_10 + timedelta(minutes=20))

    alert.refresh_from_db()
    assert alert.contact == team.contacts_by_role["line"] and alert.level == 1
    assert Notification.objects.get(pk=email.pk).status == "failed"


def test_escalating_to_a_contact_already_told_tells_them_nothing_twice(patient, team):
    stuck = email_of(make_check_in(patient, at=TUESDAY_10, stools_per_day=9)).alert
    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=15))  # to the line
    # The nurse and the line swap places: the next step is the nurse, told already.
    nurse, line = team.contacts_by_role["nurse"], team.contacts_by_role["line"]
    for contact, order in ((nurse, 90), (line, 1), (nurse, 2)):
        contact.order = order
        contact.save()

    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=30))

    stuck.refresh_from_db()
    told = list(Notification.objects.filter(alert=stuck).values_list("contact", "channel"))
    assert len(told) == len(set(told))
