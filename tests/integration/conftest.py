"""A real Celery worker, consuming from real Redis, writing to the real PostgreSQL test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from symptom_tracker.celery import app as celery_app

from ..conftest import reset_broker_pools, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "15"))


def _redis_url_for_tests() -> str:
    """The configured Redis, on a database of its own so tests never touch live queues."""
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", "", ""))


def database_url() -> str:
    """The pytest test database, as a DATABASE_URL for a worker subprocess."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def services_ready(transactional_db):
    if connection.vendor != "postgresql":
        skip_or_fail("these tests need PostgreSQL: set DATABASE_URL=postgres://...")
    if not settings.REDIS_URL:
        skip_or_fail("these tests need Redis: set REDIS_URL=redis://...")
    import redis

    url = _redis_url_for_tests()
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {url} does not answer: {exc}")
    client.flushdb()
    return url


@pytest.fixture
def broker(services_ready):
    """Point this process's Celery app at the test Redis database."""
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = services_ready
    reset_broker_pools()
    yield services_ready
    celery_app.conf.broker_url = saved
    reset_broker_pools()


class Worker:
    def __init__(self, env: dict, log: Path, queues: str = "urgent,alerts"):
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "symptom_tracker",
                "worker",
                "--pool=solo",
                f"--queues={queues}",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--hostname=test-worker@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"the worker did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def worker(broker, tmp_path):
    """A worker process; its email goes to files and its SMS to a file under tmp_path."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SMS_FILE": str(tmp_path / "sms.log"),
        "ENV_FILE": "/dev/null",
    }
    started = Worker(env, tmp_path / "worker.log")
    started.wait_until_ready()
    started.outbox = tmp_path
    yield started
    started.stop()


def wait_for(condition, *, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")
