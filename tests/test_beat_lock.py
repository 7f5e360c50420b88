"""Beat runs once however many are started (base/beat.py): of two schedulers, the one
holding the lock queues the periodic tasks, the other queues nothing and takes over
when the first stops, dies or loses the lock."""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery

from base.beat import STANDBY_POLL, FileLock, LockedScheduler, RedisLock

from .conftest import skip_or_fail


def make_app(broker_url: str, **conf) -> Celery:
    app = Celery("beat-lock-test", broker=broker_url, set_as_current=False)
    # Due at every tick, so that each tick of the scheduler that leads sends it once.
    app.conf.beat_schedule = {"sweep": {"task": "test.sweep", "schedule": 0.0}}
    app.conf.update(conf)
    return app


@pytest.fixture
def sent(monkeypatch):
    """(scheduler, entry name) of each periodic task a scheduler queues, instead of sending it."""
    calls = []

    def record(scheduler, entry, producer=None, advance=True, **kwargs):
        calls.append((scheduler, entry.name))

    monkeypatch.setattr(LockedScheduler, "apply_async", record)
    return calls


def two_schedulers(app, tmp_path):
    return [LockedScheduler(app=app, schedule_filename=str(tmp_path / name)) for name in ("a", "b")]


def test_with_the_file_broker_one_of_two_beats_schedules_and_the_other_takes_over(tmp_path, sent):
    app = make_app("filesystem://", beat_lock_file=str(tmp_path / "beat.lock"))
    first, second = two_schedulers(app, tmp_path)
    assert isinstance(first.beat_lock, FileLock)

    for _ in range(3):
        first.tick()
        assert second.tick() == STANDBY_POLL  # waits, and opens nothing
    assert sent == [(first, "sweep")] * 3
    assert second._store is None and not (tmp_path / "b").exists()

    first.close()  # beat stopped (a process that dies loses its lock with it)
    sent.clear()
    second.tick()
    second.tick()
    assert sent == [(second, "sweep")] * 2
    second.close()


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        skip_or_fail("this test needs Redis: set REDIS_URL=redis://...")
    parts = urlsplit(url)
    url = urlunsplit(
        (parts.scheme, parts.netloc, f"/{os.environ.get('TEST_REDIS_DB', '15')}", "", "")
    )
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.mark.services
def test_with_redis_one_of_two_beats_schedules_and_a_lost_lock_stops_the_first(
    redis_url, tmp_path, sent
):
    key = f"test-beat-lock-{uuid.uuid4()}"
    app = make_app(redis_url, beat_lock_key=key, beat_lock_timeout=30)
    client = redis.Redis.from_url(redis_url)
    first, second = two_schedulers(app, tmp_path)
    assert isinstance(first.beat_lock, RedisLock)
    try:
        first.tick()
        assert second.tick() == STANDBY_POLL
        assert sent == [(first, "sweep")]
        assert 0 < client.pttl(key) <= 30_000  # it expires unless renewed

        # The lock is lost (it expired while the first beat stalled, or Redis restarted
        # empty): the second takes it, and the first, at its next tick, stands by.
        client.delete(key)
        sent.clear()
        second.tick()
        assert first.tick() == STANDBY_POLL
        second.tick()
        assert sent == [(second, "sweep")] * 2

        second.close()  # a beat that stops gives the lock back at once
        assert not client.exists(key)
        sent.clear()
        first.tick()
        assert sent == [(first, "sweep")]
    finally:
        first.close()
        second.close()
        client.delete(key)
