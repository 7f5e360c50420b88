"""Queueing Celery tasks: the one way the project hands work to a worker.

Tasks are queued once the transaction that wrote their rows commits, so that a
worker never looks for a row that is not there yet, and a rolled-back request
queues nothing. A broker that is down delays the work, never the request: what
fails to queue is logged, and the periodic sweeps find the rows it left behind
(unsent notifications and reminders, unevaluated check-ins) and queue them again.
"""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """Hand a task to the broker now; log, never raise, when the broker is down."""
    try:
        task.delay(*args)
    except Exception:
        log.exception("could not queue %s%s; a sweep will retry", task.name, args)


def queue_after_commit(task, *args) -> None:
    """Queue `task(*args)` when the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args))
