"""Queueing work for a Celery worker: the one way the project hands work to a worker.

A service queues the work it made by naming the service function a worker will
run, `queue_after_commit(deliver_notification, pk)`; its app's tasks.py declares
the Celery task that runs that function (`@runs(deliver_notification)`). So a
service never imports its tasks module (which imports the services), and the
retry policy stays with the task.

Work is queued once the transaction that wrote its rows commits, so that a worker
never looks for a row that is not there yet, and a rolled-back request queues
nothing. A broker that is down delays the work, never the request: what fails to
queue is logged, and the periodic sweeps find the rows it left behind (unsent
notifications and reminders, unevaluated check-ins) and queue them again.

A service that knows how urgent its work is names the queue
(`queue_after_commit(flag_check_in, pk, queue=URGENT)`, base/queues.py), so that red
work never waits behind green; without one, settings.CELERY_TASK_ROUTES decides.
"""

import logging
from collections.abc import Callable

from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)

_TASKS: dict[Callable, object] = {}


def runs(service: Callable):
    """Decorates the Celery task (over @shared_task) that runs `service` in a worker."""

    def register(task):
        _TASKS[service] = task
        return task

    return register


def task_for(service: Callable):
    try:
        return _TASKS[service]
    except KeyError:
        name = f"{service.__module__}.{service.__qualname__}"
        raise LookupError(f"no Celery task runs {name}: declare one with @runs") from None


def enqueue(task, *args, queue: str | None = None) -> None:
    """Hand a task to the broker now, on `queue` (None: the task's route); log, never
    raise, when the broker is down."""
    options = {"queue": queue} if queue else {}
    try:
        task.apply_async(args, **options)
    except Exception:
        log.exception("could not queue %s%s; a sweep will retry", task.name, args)


def queue_after_commit(service: Callable, *args, queue: str | None = None) -> None:
    """Queue the task that runs `service(*args)` when the current transaction commits
    (at once outside one), on `queue` (a name from base/queues.py; None: the task's
    route in settings). Never raises: a request (a patient's check-in) must not fail
    for want of a worker; the sweeps queue again what was not queued."""
    try:
        task = task_for(service)
    except LookupError:
        log.exception("nothing was queued")
        return
    transaction.on_commit(lambda: enqueue(task, *args, queue=queue))


@task_prerun.connect
@task_postrun.connect
def keep_database_connection(sender=None, **kwargs) -> None:
    """Around each task a worker runs, its database connection is kept or closed as
    Django keeps or closes it around a request: closed when broken, left in a
    transaction, or older than CONN_MAX_AGE, and checked before its next use
    (conn_health_checks). Celery's own Django fixup would close it around every task
    (settings.CELERY_DB_REUSE_MAX says why it does not): each check-in's evaluation
    then started a new PostgreSQL backend, which cost more than the evaluation. A
    task run eagerly (tests) is left alone, inside its caller's transaction."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()
