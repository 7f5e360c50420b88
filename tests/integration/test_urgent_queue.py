"""Red never waits, on the real stack: with 200 amber evaluations (a task each) and 200
green ones (one batch) waiting in the alerts queue, a red check-in is evaluated and its
alert delivered by the urgent queue's own worker, which takes nothing else
(tests/alerts/test_urgent_queue.py checks the routing of each kind of work without a
broker)."""

import os

import pytest
import redis
from django.conf import settings
from django.db import transaction

from alerts import tasks
from alerts.models import Notification
from base.queues import ALERTS, URGENT
from patients.models import CheckIn
from patients.services.check_ins import record_check_in
from patients.signals import check_in_recorded

from ..factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    london_contact_list,
    make_check_in,
)
from .conftest import Worker, database_url, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BACKLOG = 200


def test_a_red_check_in_is_evaluated_and_delivered_while_400_others_wait(patient, broker, tmp_path):
    greens = [
        make_check_in(patient, stools_per_day=1, urgency=urgency)
        for urgency in ("amber", "green")
        for _ in range(BACKLOG)
    ]
    with transaction.atomic():  # as record_check_in announces each: the receiver queues it
        for green in greens:
            check_in_recorded.send(sender=CheckIn, check_in=green)
    red, evaluation, _ = record_check_in(
        patient=patient, answers={"stools_per_day": 9}, entered_by="patient", user=patient.user
    )
    assert evaluation.urgency == "red"
    client = redis.Redis.from_url(broker)
    batch = f"symptom_tracker:batch:{tasks.evaluate_check_ins.name}"
    # A task an amber check-in, one for the batch of green ones; the red one apart.
    assert (client.llen(ALERTS), client.llen(batch), client.llen(URGENT)) == (
        BACKLOG + 1,
        BACKLOG,
        1,
    )

    worker = Worker(worker_env(broker, tmp_path), tmp_path / "urgent.log", queues=URGENT)
    try:
        worker.wait_until_ready()
        sent = Notification.objects.filter(alert__check_in=red, status="sent")
        wait_for(lambda: sent.count() == 2, what="the red alert's email and SMS to be sent")
        wait_for(lambda: client.llen(URGENT) == 0, what="the urgent queue to drain")
    finally:
        worker.stop()

    # Nothing of the backlog was touched: the other evaluations all still wait.
    assert (client.llen(ALERTS), client.llen(batch)) == (BACKLOG + 1, BACKLOG)
    assert not CheckIn.objects.filter(pk__in=[g.pk for g in greens], evaluated_at__isnull=False)
    assert CheckIn.objects.get(pk=red.pk).evaluated_at is not None


@pytest.fixture
def patient(services_ready):
    team = CareTeamFactory(time_zone="Europe/London")
    london_contact_list(team)
    patient = PatientFactory(care_team=team)
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient, stools_per_day=1)
    return patient


def worker_env(broker_url: str, tmp_path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SMS_FILE": str(tmp_path / "sms.log"),
        "ENV_FILE": "/dev/null",
    }
