"""The core loop on the real stack: a red check-in becomes exactly one flag and one
notification per channel, delivered once, even when its task is delivered twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import tasks
from alerts.models import Alert, DeliveryAttempt, Notification
from alerts.services import triage
from patients.models import Flag
from patients.services.check_ins import record_check_in

from ..factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    london_contact_list,
)
from .conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(services_ready):
    team = CareTeamFactory(time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(care_team=team)
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient, stools_per_day=1)
    return patient


def test_a_red_check_in_becomes_one_flag_and_one_notification_per_channel(patient, worker):
    check_in, evaluation, created = record_check_in(
        patient=patient, answers={"stools_per_day": 9}, entered_by="patient", user=patient.user
    )
    assert created and evaluation.urgency == "red"  # the patient's advice, before any worker
    # The broker delivers the evaluation a second time (a redelivery after a lost ack).
    tasks.evaluate_check_in.delay(check_in.pk)

    def delivered():
        return Notification.objects.filter(alert__check_in=check_in, status="sent").count() == 2

    wait_for(delivered, what="both notifications to be sent")
    tasks.evaluate_check_in.delay(check_in.pk)  # and once more, after everything is done
    deliveries = [n.pk for n in Notification.objects.filter(alert__check_in=check_in)]
    for pk in deliveries:
        tasks.deliver_notification.delay(pk)  # deliveries redelivered too
    wait_for(lambda: _queue_empty(), what="the worker to drain the queue")

    flags = Flag.objects.filter(check_in=check_in)
    assert [(f.symptom, f.urgency, f.rule) for f in flags] == [("stools_per_day", "red", "R2")]
    notifications = Notification.objects.filter(alert__check_in=check_in)
    assert sorted(n.channel for n in notifications) == ["email", "sms"]
    assert all(n.attempts == 1 and n.sent_at <= timezone.now() for n in notifications)
    assert DeliveryAttempt.objects.filter(notification__in=notifications, ok=True).count() == 2
    mail = list((worker.outbox / "mail").glob("*.log"))
    assert len(mail) == 1 and "RED alert" in mail[0].read_text()
    sms = (worker.outbox / "sms.log").read_text().splitlines()
    routed = check_in.alert.contact  # whoever is on duty at the real time of the test run
    assert len(sms) == 1 and routed.sms_number in sms[0]


def _queue_empty() -> bool:
    from symptom_tracker.celery import app

    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        # kombu's Redis transport: waiting messages in a list, taken-but-unacked in a hash.
        waiting = client.llen("urgent") + client.llen("alerts")
        return waiting == 0 and client.hlen("unacked") == 0


def test_an_unacknowledged_red_alert_escalates_and_acknowledging_stops_it(patient, worker):
    check_in, _, _ = record_check_in(
        patient=patient, answers={"stools_per_day": 9}, entered_by="patient", user=patient.user
    )
    wait_for(
        lambda: Notification.objects.filter(alert__check_in=check_in, status="sent").count() == 2,
        what="the first alert",
    )
    alert = check_in.alert
    first = alert.contact

    # Nobody acknowledged within the window: beat's task runs on the worker.
    Alert.objects.filter(pk=alert.pk).update(escalate_at=timezone.now() - timedelta(seconds=1))
    tasks.escalate_overdue_alerts.delay()

    def escalated():
        return Notification.objects.filter(alert=alert, level=1, status="sent").count() == 2

    wait_for(escalated, what="the escalation to be delivered")
    alert.refresh_from_db()
    assert alert.level == 1 and alert.contact != first
    assert alert.contact.order > first.order

    # Someone acknowledges: the next window passes and nothing more is sent.
    triage.acknowledge_flag(check_in.flags.get(), patient.user, now=timezone.now())
    Alert.objects.filter(pk=alert.pk).update(escalate_at=timezone.now() - timedelta(seconds=1))
    tasks.escalate_overdue_alerts.delay()
    wait_for(_queue_empty, what="the worker to drain the queue")
    alert.refresh_from_db()
    assert alert.level == 1
    assert Notification.objects.filter(alert=alert).count() == 4
