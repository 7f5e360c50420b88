"""Red never waits: a red or emergency check-in's evaluation, its alert's deliveries and
the escalation run go to the urgent queue, which has workers of its own; green and
amber work goes to the alerts queue, reminders to theirs.

Each test records what is handed to Celery (Task.apply_async) and asks Celery's own
router, with the project's routes, which queue the message would be published on.
"""

from datetime import UTC, datetime, timedelta

import pytest
from celery.app.task import Context, Task

from alerts import tasks
from alerts.models import Notification
from alerts.services import escalation, flagging, sweep
from base.queues import ALERTS, REMINDERS, URGENT
from patients.models import CheckIn
from patients.services.check_ins import record_check_in
from symptom_tracker.celery import app as celery_app

from ..factories import make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # in hours in London
EVALUATE, DELIVER = tasks.evaluate_check_in.name, tasks.deliver_notification.name
EVALUATE_BATCH = tasks.evaluate_check_ins.name

ANSWERS = {
    "green": {"stools_per_day": 1},
    "amber": {"stools_per_day": 3},
    "red": {"stools_per_day": 9},
    "emergency": {"chest_pain": True},
}


def queue_of(name: str, options: dict | None = None) -> str:
    """The queue Celery publishes task `name` on, given the options it was sent with:
    its routing key (each queue is bound by its name to a direct exchange of its name),
    from the options or else from the queue the project's routes choose."""
    route = celery_app.amqp.router.route(dict(options or {}), name)
    return route.get("routing_key") or route["queue"].routing_key


@pytest.fixture
def queued(monkeypatch):
    """(task name, args, queue) of every task handed to Celery, instead of sending it."""
    sent = []

    def record(task, args=None, kwargs=None, **options):
        sent.append((task.name, tuple(args or ()), queue_of(task.name, options)))

    monkeypatch.setattr(Task, "apply_async", record)
    return sent


def check_in(patient, urgency, capture):
    with capture(execute=True):
        saved, evaluation, created = record_check_in(
            patient=patient, answers=ANSWERS[urgency], entered_by="patient", user=patient.user
        )
    assert created and evaluation.urgency == urgency
    return saved


@pytest.mark.parametrize(
    "urgency, queue", [("amber", ALERTS), ("red", URGENT), ("emergency", URGENT)]
)
def test_a_check_ins_evaluation_is_queued_by_its_urgency(
    patient, queued, django_capture_on_commit_callbacks, urgency, queue
):
    saved = check_in(patient, urgency, django_capture_on_commit_callbacks)

    assert queued == [(EVALUATE, (saved.pk,), queue)]


def test_a_green_check_ins_evaluation_is_queued_in_a_batch_on_the_alerts_queue(
    patient, queued, django_capture_on_commit_callbacks
):
    # Without Redis (tests run eagerly), a batch of one, the check-in's id its argument.
    saved = check_in(patient, "green", django_capture_on_commit_callbacks)

    assert queued == [(EVALUATE_BATCH, ([saved.pk],), ALERTS)]


@pytest.mark.parametrize("urgency, queue", [("amber", ALERTS), ("red", URGENT)])
def test_an_alerts_notifications_are_queued_on_its_urgencys_queue(
    patient, queued, django_capture_on_commit_callbacks, urgency, queue
):
    saved = check_in(patient, urgency, django_capture_on_commit_callbacks)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ids = flagging.flag_check_in(saved.pk)  # what the worker runs

    assert len(ids) == 2  # the contact's email and SMS
    assert sorted(queued) == sorted((DELIVER, (pk,), queue) for pk in ids)


def test_a_green_check_in_queues_no_delivery(patient, queued, django_capture_on_commit_callbacks):
    saved = check_in(patient, "green", django_capture_on_commit_callbacks)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert flagging.flag_check_in(saved.pk) == []

    assert queued == []


def test_escalation_runs_on_the_urgent_queue_and_sends_a_red_alert_there(
    patient, queued, django_capture_on_commit_callbacks
):
    red = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    with django_capture_on_commit_callbacks(execute=True):
        flagging.flag_check_in(red.pk, now=TUESDAY_10)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        moved = escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=15))

    assert moved == 1
    escalated = Notification.objects.filter(alert__check_in=red, level=1)
    assert sorted(queued) == sorted((DELIVER, (n.pk,), URGENT) for n in escalated)
    # Beat's periodic runs are routed there too: escalation, and the outbox sweep that
    # re-queues lost red work (it must not wait behind green evaluations itself).
    assert queue_of(tasks.escalate_overdue_alerts.name) == URGENT
    assert queue_of(tasks.send_due_notifications.name) == URGENT


def test_the_sweep_queues_lost_work_again_on_the_queue_of_its_urgency(
    patient, queued, django_capture_on_commit_callbacks
):
    red = make_check_in(patient, at=TUESDAY_10, stools_per_day=9, urgency="red")
    green = make_check_in(patient, at=TUESDAY_10, stools_per_day=1, urgency="green")
    amber = make_check_in(patient, at=TUESDAY_10, stools_per_day=3, urgency="amber")
    with django_capture_on_commit_callbacks(execute=True):
        flagging.flag_check_in(amber.pk, now=TUESDAY_10)
    # The broker lost everything: the notifications were never handed to it.
    Notification.objects.update(queued_at=None)
    queued.clear()

    later = TUESDAY_10 + sweep.STALE_EVALUATION + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        requeued = sweep.send_due_notifications(now=later)

    amber_notifications = Notification.objects.filter(alert__check_in=amber)
    assert requeued == amber_notifications.count() == 2
    assert sorted(queued) == sorted(
        [(EVALUATE, (red.pk,), URGENT), (EVALUATE, (green.pk,), ALERTS)]
        + [(DELIVER, (n.pk,), ALERTS) for n in amber_notifications]
    )


def test_the_sweep_queues_a_red_alerts_lost_notifications_on_the_urgent_queue(
    patient, queued, django_capture_on_commit_callbacks
):
    red = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    with django_capture_on_commit_callbacks(execute=True):
        flagging.flag_check_in(red.pk, now=TUESDAY_10)
    Notification.objects.update(queued_at=None)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sweep.send_due_notifications(now=TUESDAY_10 + timedelta(seconds=30))

    notifications = Notification.objects.filter(alert__check_in=red)
    assert sorted(queued) == sorted((DELIVER, (n.pk,), URGENT) for n in notifications)
    assert CheckIn.objects.get(pk=red.pk).evaluated_at is not None  # not queued again


def test_reminders_and_password_resets_stay_on_the_reminders_queue():
    assert queue_of("patients.tasks.send_reminder") == REMINDERS
    assert queue_of("patients.tasks.send_due_reminders") == REMINDERS
    assert queue_of("patients.tasks.send_password_reset_email") == REMINDERS


@pytest.mark.parametrize("queue", [URGENT, ALERTS])
def test_a_retried_delivery_goes_back_to_the_queue_it_came_from(queue):
    """A transient failure is retried (Task.retry) on the queue its message came from:
    the retry is built from the request, whose delivery_info names that queue."""
    request = Context(args=(1,), kwargs={}, delivery_info={"exchange": queue, "routing_key": queue})

    retry = tasks.deliver_notification.signature_from_request(request)

    assert queue_of(DELIVER, retry.options) == queue
