"""Green evaluations in batches, on the real Redis and a real worker (base/tasks.py): a
burst of green check-ins queues one task, which takes their ids a batch at a time;
an id added once that task has started queues another; with a worker running, every
green check-in is evaluated and nothing is left in the list."""

import pytest
import redis

from alerts import tasks
from alerts.services.flagging import flag_check_ins
from base.queues import ALERTS
from base.tasks import queue_in_batch_after_commit, take_batches
from patients.models import CheckIn
from patients.services.check_ins import record_check_in

from ..factories import BaselineFactory, CareTeamFactory, PatientFactory, london_contact_list
from .conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_burst_queues_one_task_which_takes_the_ids_in_batches(broker):
    client = redis.Redis.from_url(broker)
    for pk in range(1, 26):
        queue_in_batch_after_commit(flag_check_ins, pk, queue=ALERTS)  # no transaction: now

    assert client.llen(ALERTS) == 1  # one task message for 25 ids

    taken = take_batches(flag_check_ins, size=10)
    assert next(taken) == list(range(1, 11))
    # The task has started: the next id queues another task, and is taken by one of them.
    queue_in_batch_after_commit(flag_check_ins, 26, queue=ALERTS)
    assert client.llen(ALERTS) == 2
    assert list(taken) == [list(range(11, 21)), [21, 22, 23, 24, 25, 26]]
    assert list(take_batches(flag_check_ins)) == []  # the second task finds nothing left


def test_every_green_check_in_is_evaluated_by_the_worker(broker, worker):
    team = CareTeamFactory(time_zone="Europe/London")
    london_contact_list(team)
    saved = []
    for _ in range(20):
        patient = PatientFactory(care_team=team)
        BaselineFactory(patient=patient, stools_per_day=1)
        check_in, evaluation, _ = record_check_in(
            patient=patient, answers={"stools_per_day": 1}, entered_by="patient", user=None
        )
        assert evaluation.urgency == "green"
        saved.append(check_in.pk)

    wait_for(
        lambda: not CheckIn.objects.filter(pk__in=saved, evaluated_at=None).exists(),
        what="the worker to evaluate every green check-in",
    )
    client = redis.Redis.from_url(broker)
    assert client.llen(f"symptom_tracker:batch:{tasks.evaluate_check_ins.name}") == 0
