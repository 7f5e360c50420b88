"""Celery beat that runs once, however many are started: the others wait in standby.

Two beats would queue every periodic task twice (escalation, the outbox sweep,
reminders). So that beat can run on more than one machine, and one takes over when
another dies, a beat holds a lock while it schedules:

- with Redis as the broker, a Redis key with a time to live (redis-py's Lock,
  `beat_lock_timeout` seconds), renewed at every tick. A beat that stops releases
  it at once; one that dies (killed, its machine gone) loses it when it expires.
- with the embedded file broker (`make run`, one machine), an exclusive lock on
  `beat_lock_file`, which the operating system releases when its process ends.

A beat without the lock opens nothing and queues nothing: each tick it tries
again. A beat that finds at a tick that its lock has gone (it expired while Redis
or the process stalled, or Redis restarted and lost it) stops queueing and waits
like any other until the lock is free. The schedule file is opened once the lock
is held, so two beats on one machine do not share it either.

Settings (CELERY_ prefixed in settings.py): beat_lock_timeout, beat_lock_file,
beat_lock_key; beat_max_loop_interval must be well under the timeout, since the
lock is renewed only when beat wakes up.
"""

import contextlib
import fcntl
import logging
import os
import time

import redis
from celery.beat import PersistentScheduler

log = logging.getLogger(__name__)

DEFAULT_KEY = "symptom_tracker:beat-lock"
DEFAULT_TIMEOUT = 60
# Seconds between tries at taking a lock another beat holds.
STANDBY_POLL = 2.0
# How often a beat in standby says so in its log.
STANDBY_LOG_EVERY = 300.0


class RedisLock:
    """One beat's hold on a Redis key that expires unless renewed."""

    def __init__(self, url: str, key: str, timeout: float):
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.what = f"Redis key {key!r}"
        self.lock = client.lock(key, timeout=timeout, thread_local=False)

    def try_acquire(self) -> bool:
        try:
            if self.lock.owned():  # still ours: a renewal failed on a moment's outage
                self.lock.reacquire()
                return True
            return self.lock.acquire(blocking=False)
        except redis.RedisError as exc:
            log.warning("beat: Redis does not answer (%s); trying again", exc)
            return False

    def renew(self) -> bool:
        """Push the expiry back a full timeout; False when the lock is no longer ours."""
        try:
            self.lock.reacquire()
            return True
        except redis.RedisError as exc:  # LockError included
            log.error("beat: lost %s (%s)", self.what, exc)
            return False

    def release(self) -> None:
        # Expired or taken already: then nothing of ours is left to give back.
        with contextlib.suppress(redis.RedisError):
            self.lock.release()


class FileLock:
    """One beat's exclusive lock on a file; the kernel drops it when the process ends."""

    def __init__(self, path: str):
        self.path, self.what = path, f"file {path}"
        self.fd = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def renew(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def lock_for(app) -> RedisLock | FileLock:
    """Redis when the broker is Redis (beats on several machines), else a file."""
    conf = app.conf
    url = conf.broker_url or ""
    if url.startswith(("redis://", "rediss://")):
        timeout = conf.get("beat_lock_timeout") or DEFAULT_TIMEOUT
        return RedisLock(url, conf.get("beat_lock_key") or DEFAULT_KEY, timeout)
    path = conf.get("beat_lock_file") or f"{conf.beat_schedule_filename}.lock"
    return FileLock(path)


class LockedScheduler(PersistentScheduler):
    """Celery's scheduler (its schedule kept in a file), run by the beat holding the lock.

    `settings.CELERY_BEAT_SCHEDULER` names it. Beat calls tick() in a loop and
    sleeps for what it returns (at most beat_max_loop_interval): each tick first
    makes sure of the lock, then does the usual work.
    """

    def __init__(self, app, *args, **kwargs):
        self.beat_lock = lock_for(app)
        self.leading = False
        self._waiting_since = None
        super().__init__(app, *args, **kwargs)

    def setup_schedule(self):
        """Called at start-up: nothing yet; the schedule opens once the lock is held."""

    def tick(self, *args, **kwargs):
        if self.leading and not self.beat_lock.renew():
            self.leading = False
            log.error("beat: stopped queueing; waiting for the lock again")
        if not self.leading and not self._take_lock():
            return STANDBY_POLL
        return super().tick(*args, **kwargs)

    def _take_lock(self) -> bool:
        """Try once; on success open the schedule (first time) and lead."""
        if not self.beat_lock.try_acquire():
            now = time.monotonic()
            if self._waiting_since is None or now - self._waiting_since > STANDBY_LOG_EVERY:
                log.info("beat: standby, another beat holds %s", self.beat_lock.what)
                self._waiting_since = now
            return False
        log.info("beat: holds %s; scheduling", self.beat_lock.what)
        self._waiting_since = None
        if self._store is None:
            PersistentScheduler.setup_schedule(self)
        self.leading = True
        return True

    def should_sync(self):
        return self._store is not None and super().should_sync()

    def close(self):
        try:
            super().close()
        finally:
            self.beat_lock.release()
            self.leading = False

    @property
    def info(self):
        return f"{super().info}\n    . lock -> {self.beat_lock.what}"
