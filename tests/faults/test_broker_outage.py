"""Fault 1: Redis goes down while patients submit.

The patient's advice never waits for a worker, and a broker outage loses nothing:
check-ins are saved and advised at once; once Redis is back, the outbox sweep
queues the evaluations the broker never received, and every alert is delivered
once, however often the sweep and the tasks run again.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import tasks
from alerts.models import Alert, DeliveryAttempt, Notification
from alerts.services import sweep
from patients.models import CheckIn, Flag

from .conftest import (
    check_in_form,
    emails_by_notification,
    logged_in,
    london_team,
    make_patient,
    queue_drained,
    submit,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# The view answers within this even with the broker down (one failed publish is ~0.6 s).
ADVICE_WITHIN_SECONDS = 5


def test_check_ins_sent_while_redis_is_down_are_advised_at_once_and_alerted_once_it_is_back(
    redis_server, start_worker, provider, mail_dir
):
    worker = start_worker()
    team = london_team()
    unwell = [make_patient(team) for _ in range(2)]
    well = make_patient(team)

    redis_server.kill()  # a crash: no persistence, nothing it held survives

    # Patients submit during the outage, through the real view.
    for patient in unwell:
        client = logged_in(patient)
        data = check_in_form(stools_per_day=9)
        response, seconds = submit(client, data)
        assert response.status_code == 200, response.content[:500]
        assert seconds < ADVICE_WITHIN_SECONDS, f"the advice took {seconds:.1f} s"
        assert response.context["evaluation"].urgency == "red"
        advice = response.context["advice"]
        assert advice.phone_now and advice.contact is not None
        assert "Urgent: phone now" in response.text
        assert advice.contact.phone.replace(" ", "") in response.text.replace(" ", "")
        if patient == unwell[0]:  # the same form sent again (a double tap): saved once
            again, seconds = submit(client, data)
            assert again.status_code == 200 and seconds < ADVICE_WITHIN_SECONDS
            assert again.context["check_in"].pk == response.context["check_in"].pk
    response, seconds = submit(logged_in(well), check_in_form(stools_per_day=1))
    assert response.status_code == 200 and seconds < ADVICE_WITHIN_SECONDS
    assert response.context["evaluation"].urgency == "green"

    saved = CheckIn.objects.all()
    assert saved.count() == len(unwell) + 1
    assert not saved.filter(evaluated_at__isnull=False).exists()  # no worker saw them
    assert not Alert.objects.exists()
    assert worker.alive()

    redis_server.start()  # back, empty, on the same port
    # Beat's sweep, once the evaluations are overdue: it queues what the broker lost.
    later = timezone.now() + sweep.STALE_EVALUATION + timedelta(seconds=30)
    sweep.send_due_notifications(now=later)

    red = saved.filter(urgency="red")

    def all_delivered():
        sent = Notification.objects.filter(alert__check_in__in=red, status="sent")
        return sent.count() == 2 * len(unwell)

    wait_for(all_delivered, timeout=45, what="every alert to be delivered", logs=[worker])

    # Everything runs again: more sweeps (one far later), and every task redelivered.
    sweep.send_due_notifications(now=later)
    sweep.send_due_notifications(now=later + timedelta(minutes=15))
    for check_in in saved:
        tasks.evaluate_check_in.delay(check_in.pk)
    for notification in Notification.objects.all():
        tasks.deliver_notification.delay(notification.pk)
    wait_for(lambda: queue_drained(redis_server), what="the worker to drain the queue")

    # The worker lived through the outage: the same process, never restarted.
    assert worker.alive()
    assert worker.log_text().count("ready.") == 1

    notifications = Notification.objects.all()
    assert Flag.objects.filter(check_in__in=red).count() == len(unwell)
    assert Alert.objects.filter(check_in__in=red).count() == len(unwell)
    assert not Alert.objects.filter(check_in__patient=well).exists()
    assert sorted(Counter(n.alert_id for n in notifications).values()) == [2] * len(unwell)
    for notification in notifications:
        assert (notification.status, notification.attempts) == ("sent", 1), notification
        attempts = DeliveryAttempt.objects.filter(notification=notification)
        assert [a.ok for a in attempts] == [True]

    # At the edge: each SMS accepted by the provider once, each email written once.
    sms = {n.pk for n in notifications if n.channel == "sms"}
    assert Counter(r.notification_id for r in provider.requests("/sms")) == dict.fromkeys(sms, 1)
    assert all(r.accepted for r in provider.requests("/sms"))
    email = {n.pk for n in notifications if n.channel == "email"}
    assert emails_by_notification(mail_dir) == dict.fromkeys(email, 1)
