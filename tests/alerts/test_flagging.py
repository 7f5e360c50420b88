"""The worker's services: flags, alerts and notifications, each written once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from alerts.channels import ChannelError
from alerts.models import Alert, DeliveryAttempt, Notification
from alerts.services import delivery, flagging, sweep, triage
from patients.models import CheckIn, Flag

from ..factories import escalates, make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # in hours in London
SATURDAY_03 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
SOON = TUESDAY_10 + timedelta(minutes=1)


def test_it_flags_a_red_check_in_and_alerts_the_contact_on_duty(patient, team):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)

    ids = flagging.flag_check_in(check_in.pk, now=TUESDAY_10)

    flag = Flag.objects.get()
    assert (flag.symptom, flag.urgency, flag.rule, flag.status) == (
        "stools_per_day",
        "red",
        "R2",
        "open",
    )
    assert "9/day vs baseline 1/day" in flag.explanation
    alert = Alert.objects.get()
    assert alert.contact == team.contacts_by_role["nurse"]
    assert alert.escalate_at == TUESDAY_10 + timedelta(minutes=15)
    notifications = Notification.objects.filter(pk__in=ids)
    assert sorted(n.channel for n in notifications) == ["email", "sms"]
    assert {n.address for n in notifications} == {"cns@example.org", "+447700900101"}


def test_it_creates_nothing_new_when_the_task_runs_twice(patient):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9, headache=3)

    first = flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    second = flagging.flag_check_in(check_in.pk, now=TUESDAY_10 + timedelta(seconds=5))

    assert len(first) == 2 and second == []
    assert Flag.objects.count() == 2
    assert Alert.objects.count() == 1
    assert Notification.objects.count() == 2


def test_it_writes_no_flag_or_alert_for_a_green_check_in(patient):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=1, fatigue=2)

    assert flagging.flag_check_in(check_in.pk, now=TUESDAY_10) == []

    assert not Flag.objects.exists() and not Alert.objects.exists()
    assert CheckIn.objects.get().evaluated_at == TUESDAY_10


def test_it_routes_red_at_night_at_the_weekend_to_the_24_hour_line(patient, team):
    check_in = make_check_in(patient, at=SATURDAY_03, stools_per_day=9)

    flagging.flag_check_in(check_in.pk, now=SATURDAY_03)

    assert Alert.objects.get().contact == team.contacts_by_role["line"]


def test_it_holds_an_amber_alert_until_the_contact_is_on_duty(patient, team):
    # Only the weekday nurse handles amber in this team.
    line = team.contacts_by_role["line"]
    line.handles_amber = False
    line.save()
    check_in = make_check_in(patient, at=SATURDAY_03, stools_per_day=3)

    with time_machine.travel(SATURDAY_03, tick=False):
        flagging.flag_check_in(check_in.pk, now=SATURDAY_03)

    monday_9_london = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    notification = Notification.objects.get(channel="email")
    assert notification.contact == team.contacts_by_role["nurse"]
    assert notification.not_before == monday_9_london
    assert notification.queued_at is None
    assert delivery.deliver_notification(notification.pk, now=SATURDAY_03) is None
    assert Notification.objects.get(pk=notification.pk).status == "queued"


def test_the_sweep_queues_a_held_amber_alert_when_the_contact_comes_on_duty(
    patient, team, django_capture_on_commit_callbacks
):
    line = team.contacts_by_role["line"]
    line.handles_amber = False
    line.save()
    check_in = make_check_in(patient, at=SATURDAY_03, stools_per_day=3)
    flagging.flag_check_in(check_in.pk, now=SATURDAY_03)

    monday_0901 = datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
    with (
        time_machine.travel(monday_0901, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        queued = sweep.send_due_notifications(now=monday_0901)

    assert queued == 2  # email and SMS
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == 1


def test_it_delivers_a_notification_once_even_when_the_task_runs_twice(patient):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    email = Notification.objects.get(
        pk__in=flagging.flag_check_in(check_in.pk, now=TUESDAY_10), channel="email"
    )

    delivery.deliver_notification(email.pk, now=SOON)
    delivery.deliver_notification(email.pk, now=SOON)

    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 1
    assert len(mail.outbox) == 1
    assert "needs review" in mail.outbox[0].subject
    assert "9/day" in mail.outbox[0].body
    assert DeliveryAttempt.objects.filter(notification=email, ok=True).count() == 1


def test_the_sms_carries_no_symptom_details(patient, settings, tmp_path):
    settings.SMS_FILE = str(tmp_path / "sms.log")  # the development channel's messages
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    sms = Notification.objects.get(
        pk__in=flagging.flag_check_in(check_in.pk, now=TUESDAY_10), channel="sms"
    )

    delivery.deliver_notification(sms.pk, now=SOON)

    assert Notification.objects.get(pk=sms.pk).status == "sent"
    (line,) = (tmp_path / "sms.log").read_text().splitlines()
    assert "RED alert, a patient needs review" in line
    assert "stool" not in line.lower() and patient.name not in line


def test_a_transient_failure_is_retried_after_the_backoff(patient, monkeypatch):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    email = Notification.objects.get(
        pk__in=flagging.flag_check_in(check_in.pk, now=TUESDAY_10), channel="email"
    )

    def refuse(self, *args, **kwargs):
        raise ChannelError("connection reset")

    monkeypatch.setattr("alerts.channels.email.EmailChannel.deliver", refuse)
    delay = delivery.deliver_notification(email.pk, now=SOON)

    email.refresh_from_db()
    assert delay == delivery.DELIVERY_BACKOFF[0]
    assert email.status == "queued" and email.attempts == 1
    assert email.last_error == "connection reset"
    assert DeliveryAttempt.objects.get(notification=email).ok is False
    # Not due again until the backoff has passed.
    assert delivery.deliver_notification(email.pk, now=SOON) is None
    assert Notification.objects.get(pk=email.pk).attempts == 1

    monkeypatch.undo()
    later = email.not_before + timedelta(seconds=1)
    delivery.deliver_notification(email.pk, now=later)
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 2
    assert len(mail.outbox) == 1


def test_a_permanent_failure_is_not_retried(patient):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    sms = Notification.objects.get(
        pk__in=flagging.flag_check_in(check_in.pk, now=TUESDAY_10), channel="sms"
    )
    Notification.objects.filter(pk=sms.pk).update(address="07700 900101")  # not international

    assert delivery.deliver_notification(sms.pk, now=SOON) is None

    sms.refresh_from_db()
    assert sms.status == "failed" and "international" in sms.last_error


def test_it_gives_up_after_the_last_backoff(patient, monkeypatch):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    email = Notification.objects.get(
        pk__in=flagging.flag_check_in(check_in.pk, now=TUESDAY_10), channel="email"
    )
    monkeypatch.setattr(
        "alerts.channels.email.EmailChannel.deliver",
        lambda self, *a, **k: (_ for _ in ()).throw(ChannelError("timeout")),
    )
    Notification.objects.filter(pk=email.pk).update(attempts=len(delivery.DELIVERY_BACKOFF))

    assert delivery.deliver_notification(email.pk, now=SOON) is None
    assert Notification.objects.get(pk=email.pk).status == "failed"


def test_the_sweep_requeues_a_delivery_whose_worker_died(
    patient, django_capture_on_commit_callbacks
):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    ids = flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    stuck = Notification.objects.get(pk__in=ids, channel="email")
    Notification.objects.filter(pk=stuck.pk).update(
        status="sending", attempts=1, claimed_at=TUESDAY_10
    )
    dead = DeliveryAttempt.objects.create(notification=stuck, started_at=TUESDAY_10)
    Notification.objects.exclude(pk=stuck.pk).update(status="sent")

    later = TUESDAY_10 + timedelta(minutes=11)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        sweep.send_due_notifications(now=later)

    stuck.refresh_from_db()
    assert stuck.status == "sent" and stuck.attempts == 2
    assert len(mail.outbox) == 1
    dead.refresh_from_db()
    assert dead.ok is False and dead.error == "no outcome: the worker was lost"


def test_the_sweep_evaluates_a_check_in_whose_task_was_lost(
    patient, django_capture_on_commit_callbacks
):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)  # never queued
    later = TUESDAY_10 + timedelta(minutes=3)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        sweep.send_due_notifications(now=later)

    assert CheckIn.objects.get(pk=check_in.pk).evaluated_at is not None
    assert Flag.objects.filter(check_in=check_in).count() == 1


def test_it_judges_history_for_persistence(patient):
    for days_ago, count in ((2, 2), (1, 3)):
        earlier = make_check_in(
            patient, at=TUESDAY_10 - timedelta(days=days_ago), stools_per_day=count
        )
        flagging.flag_check_in(earlier.pk, now=earlier.submitted_at)
    today = make_check_in(patient, at=TUESDAY_10, stools_per_day=3)

    flagging.flag_check_in(today.pk, now=TUESDAY_10)

    flag = Flag.objects.get(check_in=today)
    assert (flag.urgency, flag.rule, flag.raised_by) == ("red", "R1", "R14")


def test_acknowledging_stops_escalation_and_resolving_needs_no_second_click(patient, nurse):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    flag = Flag.objects.get()

    assert triage.acknowledge_flag(flag, nurse) is True
    assert triage.acknowledge_flag(flag, nurse) is False
    alert = Alert.objects.get()
    assert alert.acknowledged_by == nurse and not escalates(alert)

    assert triage.resolve_flag(flag, nurse, note="Phoned; attending assessment unit") is True
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolution_note.startswith("Phoned")


@pytest.mark.parametrize("urgency_answers", [{"chest_pain": True}, {"shortness_of_breath": 4}])
def test_an_emergency_is_routed_as_red(patient, team, urgency_answers):
    check_in = make_check_in(patient, at=SATURDAY_03, **urgency_answers)

    flagging.flag_check_in(check_in.pk, now=SATURDAY_03)

    alert = Alert.objects.get()
    assert alert.urgency == "emergency"
    assert alert.contact == team.contacts_by_role["line"]


def test_only_an_email_has_its_body_drawn(patient):
    """SMS and webhooks send the short text and the data: drawing the email's templates
    for them was work thrown away on every red alert."""
    from alerts.messages import alert_message

    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    notifications = Notification.objects.filter(
        pk__in=flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    )
    messages = {n.channel: alert_message(n) for n in notifications}

    assert "9/day" in messages["email"].body and messages["email"].html
    assert messages["sms"].body == messages["sms"].html == ""
    assert "needs review" in messages["sms"].short
