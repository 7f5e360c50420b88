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

Work that is plentiful, cheap and never urgent (the evaluation of a check-in the
request judged green) is queued in batches: `queue_in_batch_after_commit(service,
pk)` adds the id to a list in Redis and queues the task only when none is waiting
to start; the task takes the ids in batches (`take_batches`) and runs
`service(ids)` on each. The task starts BATCH_DELAY seconds after the first id of
its batch, so that a batch gathers what comes meanwhile. A task's run costs a
worker more than judging a green check-in, and publishing one costs the request
more than the rest of its writes: busy hours cost a task a second, not a task a
check-in. The list is a
hint, never the record: a lost id (Redis restarted, a worker killed after taking
it) is a check-in still unevaluated in the database, which the outbox sweep queues
again. Without Redis (the embedded broker) or running eagerly (tests), each id is
queued as a task of its own.
"""

import contextlib
import logging
from collections.abc import Callable, Iterator

import redis
from celery import current_app
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


def enqueue(task, *args, queue: str | None = None, countdown: float | None = None) -> bool:
    """Hand a task to the broker now, on `queue` (None: the task's route), to run in
    `countdown` seconds (None: at once); log, never raise, when the broker is down.
    Whether it was handed over."""
    options = {"queue": queue} if queue else {}
    if countdown:
        options["countdown"] = countdown
    try:
        task.apply_async(args, **options)
    except Exception:
        log.exception("could not queue %s%s; a sweep will retry", task.name, args)
        return False
    return True


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


# Batches

# The most ids a task takes from its list at once.
BATCH_SIZE = 100
# Seconds from a batch's first id to its task's start (its items wait that much more).
BATCH_DELAY = 1.0
# A task queued for a batch is expected to start within this long; past it, the next
# id queues another (a task lost by the broker holds up no batch for longer).
BATCH_TASK_EXPECTED = 60


def queue_in_batch_after_commit(service: Callable, item: int, *, queue: str) -> None:
    """When the current transaction commits, add `item` (an id) to the batch the task
    running `service(ids)` takes, on `queue`, and queue that task unless one is
    queued already and has not started. Never raises, as queue_after_commit."""
    try:
        task = task_for(service)
    except LookupError:
        log.exception("nothing was queued")
        return
    transaction.on_commit(lambda: _add_to_batch(task, item, queue))


def _add_to_batch(task, item: int, queue: str) -> None:
    client = _batch_redis()
    if client is None:
        enqueue(task, [item], queue=queue)
        return
    waiting, queued = _batch_keys(task)
    try:
        # In this order: a task that has started takes the id (it clears `queued`
        # before it takes ids), or `queued` is clear and a new task is queued here.
        pipe = client.pipeline(transaction=False)
        pipe.rpush(waiting, item)
        pipe.set(queued, 1, nx=True, ex=BATCH_TASK_EXPECTED)
        _, first = pipe.execute()
    except redis.RedisError:
        log.exception("could not add %s to the batch of %s; a sweep will retry", item, task.name)
        return
    if first and not enqueue(task, queue=queue, countdown=BATCH_DELAY):
        with contextlib.suppress(redis.RedisError):
            client.delete(queued)  # the next id tries again


def take_batches(service: Callable, size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """The ids waiting for the task of `service`, `size` at a time, until none is
    left (the task's body: `for ids in take_batches(...)`). It first marks its task
    as started, so that an id added from now on queues another."""
    client = _batch_redis()
    if client is None:
        return
    waiting, queued = _batch_keys(task_for(service))
    client.delete(queued)
    while True:
        pipe = client.pipeline(transaction=True)
        pipe.lrange(waiting, 0, size - 1)
        pipe.ltrim(waiting, size, -1)
        taken, _ = pipe.execute()
        if not taken:
            return
        yield [int(item) for item in taken]
        if len(taken) < size:
            return


def _batch_keys(task) -> tuple[str, str]:
    return f"symptom_tracker:batch:{task.name}", f"symptom_tracker:batch-queued:{task.name}"


_REDIS: dict[str, redis.Redis] = {}


def _batch_redis() -> redis.Redis | None:
    """A client of the broker's Redis (its pool kept for the process), or None when
    tasks run eagerly or the broker is not Redis."""
    conf = current_app.conf
    url = conf.broker_url or ""
    if conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    if url not in _REDIS:
        _REDIS[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return _REDIS[url]


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
