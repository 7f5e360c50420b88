"""A worker keeps its database connection from one task to the next, as a web worker
keeps it from one request to the next (issue 11, the check-in's throughput): Celery's
Django fixup would otherwise close it around every task, and each check-in's
evaluation would start a new PostgreSQL backend."""

from types import SimpleNamespace
from unittest import mock

from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun

from base import tasks
from symptom_tracker.celery import app


def task(*, eager: bool):
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_celerys_fixup_does_not_close_the_connection_around_each_task():
    fixup = DjangoWorkerFixup(app)
    with mock.patch.object(fixup, "_close_database") as close:
        for _ in range(10):
            fixup.on_task_prerun(task(eager=False))
            fixup.on_task_postrun(task(eager=False))

    assert fixup.db_reuse_max
    close.assert_not_called()


def test_around_a_task_the_connection_is_kept_or_closed_as_around_a_request():
    with mock.patch.object(tasks, "close_old_connections") as as_a_request:
        tasks.keep_database_connection(sender=task(eager=False))

    as_a_request.assert_called_once_with()


def test_a_task_run_eagerly_leaves_its_callers_connection_alone():
    with mock.patch.object(tasks, "close_old_connections") as as_a_request:
        tasks.keep_database_connection(sender=task(eager=True))
        tasks.keep_database_connection(sender=None)

    as_a_request.assert_not_called()


def test_both_task_signals_reach_it():
    for signal in (task_prerun, task_postrun):
        receivers = [ref() for _key, ref in signal.receivers]
        assert tasks.keep_database_connection in receivers
