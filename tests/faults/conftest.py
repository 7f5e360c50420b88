"""The faults harness: real processes that the tests start, break and mend.

- a redis-server of the test's own on a spare port (never the machine's shared one),
  which a test may stop and start again on the same port;
- Celery workers (`celery -A symptom_tracker worker --pool=solo`) consuming from it
  and writing to the pytest test database on the real PostgreSQL;
- a gunicorn web server, for the one test that needs a persistent DB connection;
- a fake SMS provider and webhook receiver: a small HTTP server in a thread of the
  test process, the only thing that stands in for anything, at the network edge.
  Email goes through Django's file backend into a temporary directory.

Each server process is tagged with its own PostgreSQL application_name (PGAPPNAME),
so a test can find and terminate exactly its connections and nobody else's.
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from alerts.messages import read_ack_token
from patients.models import Contact
from symptom_tracker.celery import app as celery_app

from ..conftest import reset_broker_pools, skip_or_fail
from ..factories import (
    BaselineFactory,
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    london_contact_list,
)
from ..integration.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
SMS_FROM = "+447700900000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, *, timeout=30.0, what="the condition", logs=()):
    """Poll `condition` every 0.1 s; fail with the processes' last log lines on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    tails = "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in logs)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")


# PostgreSQL, seen from outside the app ------------------------------------------------


def admin_connection():
    """A connection of the test's own, apart from Django's and the app's."""
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        application_name="faults-admin",
    )
    conn.autocommit = True
    return conn


def backends(app_name: str) -> list[tuple[int, str, str]]:
    """(pid, state, wait_event_type) of the server backends of one of our processes."""
    with contextlib.closing(admin_connection()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT pid, coalesce(state, ''), coalesce(wait_event_type, '')"
            " FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            [app_name],
        )
        return cur.fetchall()


def terminate_backends(app_name: str) -> int:
    """pg_terminate_backend every connection of one of our processes; how many went."""
    with contextlib.closing(admin_connection()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [app_name],
        )
        return cur.fetchone()[0]


# Processes -------------------------------------------------------------------------


class Process:
    """A subprocess with its output in a log file."""

    name = "process"

    def __init__(self, args, *, env=None, log: Path, cwd=ROOT):
        self.args, self.env, self.log, self.cwd = args, env, log, cwd
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a signal to the test's group never reaches it
        )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, chars=4000) -> str:
        return self.log_text()[-chars:]

    def kill(self):
        """SIGKILL: no shutdown, no acknowledgement, nothing flushed."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout=15):
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class RedisServer(Process):
    name = "redis"

    def __init__(self, directory: Path):
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        super().__init__(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            log=directory / "redis.log",
            cwd=directory,
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def start(self):
        super().start()
        wait_for(self._answers, timeout=10, what="redis-server to answer", logs=[self])
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def service_env(redis_server: RedisServer, provider, tmp_path: Path, app_name: str, **extra):
    """The environment of our app processes: the test DB, our Redis, our provider."""
    return {
        **os.environ,
        "ENV_FILE": "/dev/null",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # the test's own, so its ack links verify here
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_server.url,
        "PGAPPNAME": app_name,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SMS_API_URL": provider.url("/sms"),
        "SMS_ACCOUNT": "AC-faults",
        "SMS_TOKEN": "faults-token",
        "SMS_FROM": SMS_FROM,
        # The fake provider and webhook receiver are plain http on this machine.
        "OUTBOUND_ALLOW_HTTP": "1",
        "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
        "LOG_LEVEL": "INFO",
        "CELERY_SKIP_CHECKS": "1",  # Django's system checks: seconds of start-up, not faults
        **extra,
    }


class WorkerProcess(Process):
    name = "worker"

    def __init__(self, env: dict, log: Path, hostname: str):
        self.name = hostname
        self.app_name = env["PGAPPNAME"]
        super().__init__(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "symptom_tracker",
                "worker",
                "--pool=solo",
                "--queues=urgent,alerts,reminders",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                f"--hostname={hostname}@%h",
            ],
            env=env,
            log=log,
        )

    def wait_until_ready(self, timeout=30):
        wait_for(
            lambda: "ready." in self.log_text() or not self.alive(),
            timeout=timeout,
            what=f"{self.name} to start",
            logs=[self],
        )
        if not self.alive():
            pytest.fail(f"{self.name} exited:\n{self.log_tail()}")
        return self


class WebServer(Process):
    """The app under gunicorn (sync worker): persistent DB connections, as in production."""

    name = "gunicorn"

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.app_name = env["PGAPPNAME"]
        super().__init__(
            [
                sys.executable,
                "-m",
                "gunicorn",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=1",
                "--worker-class=sync",
                "--timeout=30",
                "--access-logfile=-",
                "symptom_tracker.wsgi",
            ],
            env=env,
            log=log,
        )

    def wait_until_ready(self, timeout=30):
        def answers():
            try:
                return Browser(self.port).get(reverse("login")).status == 200
            except OSError:
                return False

        wait_for(answers, timeout=timeout, what="gunicorn to answer", logs=[self])
        return self

    def worker_boots(self) -> list[str]:
        return re.findall(r"Booting worker with pid: (\d+)", self.log_text())


@dataclass
class Page:
    status: int
    location: str
    text: str


class Browser:
    """Just enough of a browser over plain HTTP: cookies, forms, redirects."""

    def __init__(self, port: int, cookies: dict | None = None):
        self.port, self.cookies = port, dict(cookies or {})

    def request(self, method: str, path: str, form: dict | None = None) -> Page:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            reply = conn.getresponse()
            text = reply.read().decode(errors="replace")
            for header in reply.headers.get_all("Set-Cookie") or []:
                for key, morsel in SimpleCookie(header).items():
                    self.cookies[key] = morsel.value
            return Page(reply.status, reply.headers.get("Location", ""), text)
        finally:
            conn.close()

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Page:
        return self.request("POST", path, form)


# The network edge: a fake SMS provider and webhook receiver ---------------------------


@dataclass
class Received:
    """One request as the provider saw it, and the status it decided to answer."""

    path: str
    headers: dict
    body: bytes
    form: dict = field(default_factory=dict)
    status: int = 0
    at: float = 0.0

    @property
    def notification_id(self) -> int:
        """The notification named by the signed acknowledge link in the message."""
        if self.path == "/sms":
            text = self.form["Body"]
        else:
            text = json.loads(self.body)["acknowledge_url"]
        token = re.search(r"/triage/ack/([^/\s]+)/", text).group(1)
        return read_ack_token(token)

    @property
    def accepted(self) -> bool:
        """The provider took it (and sends the SMS) whether or not its reply got back."""
        return 200 <= self.status < 300


class Hold:
    """Keeps the next matching request waiting inside the provider until released."""

    def __init__(self, path: str):
        self.path = path
        self.held = threading.Event()
        self.released = threading.Event()

    def wait_until_held(self, timeout=30, logs=()):
        wait_for(self.held.is_set, timeout=timeout, what=f"a request to {self.path}", logs=logs)

    def release(self):
        self.released.set()


class FakeProvider:
    """A Twilio-style SMS API (POST /sms, form To/From/Body, basic auth) and a webhook
    receiver (POST /hook), recording every request. `answer(received) -> status`
    decides each reply; `hold(path)` keeps the next request to `path` waiting."""

    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.answer = lambda received: 201
        self._holds: list[Hold] = []  # waiting for their request
        self._all_holds: list[Hold] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # the http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received = Received(
                    path=urlsplit(self.path).path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
                if "form-urlencoded" in self.headers.get("Content-Type", ""):
                    received.form = dict(parse_qsl(body.decode()))
                with provider.lock:
                    received.status = provider.answer(received)
                    provider.received.append(received)
                    hold = next((h for h in provider._holds if h.path == received.path), None)
                    if hold:
                        provider._holds.remove(hold)
                if hold:
                    hold.held.set()
                    hold.released.wait(60)
                reply = _reply_body(received.status)
                try:
                    self.send_response(received.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the client went away (killed) before the reply

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def release_all(self):
        for hold in self._all_holds:
            hold.release()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def hold(self, path: str) -> Hold:
        hold = Hold(path)
        with self.lock:
            self._holds.append(hold)
            self._all_holds.append(hold)
        return hold

    def requests(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if path is None or r.path == path]

    def accepted(self, path: str) -> list[Received]:
        return [r for r in self.requests(path) if r.accepted]

    def close(self):
        self.release_all()
        self.server.shutdown()
        self.server.server_close()


def _reply_body(status: int) -> bytes:
    if 200 <= status < 300:
        return json.dumps({"sid": f"SM{uuid.uuid4().hex}", "status": "queued"}).encode()
    if status == 400:
        return json.dumps(
            {"code": 21211, "message": "The 'To' number is not a valid phone number."}
        ).encode()
    return json.dumps({"message": "Service Unavailable"}).encode()


def emails_by_notification(mail_dir: Path) -> dict[int, int]:
    """How many emails Django's file backend wrote for each notification id."""
    counts: dict[int, int] = {}
    for path in sorted(mail_dir.glob("*")):
        for pk in re.findall(r"^X-Idempotency-Key: notification-(\d+)$", path.read_text(), re.M):
            counts[int(pk)] = counts.get(int(pk), 0) + 1
    return counts


# Fixtures --------------------------------------------------------------------------


@pytest.fixture
def faults_ready(transactional_db):
    """Rows are committed (the workers must see them) and the services are here."""
    if connection.vendor != "postgresql":
        skip_or_fail("the faults tests need PostgreSQL: set DATABASE_URL=postgres://...")
    if shutil.which("redis-server") is None:
        skip_or_fail("the faults tests need redis-server on PATH (apt-get install redis-server)")


@pytest.fixture
def redis_server(faults_ready, eager_celery, tmp_path):
    """A redis-server of our own, and this process's Celery pointed at it (not eager)."""
    server = RedisServer(tmp_path / "redis")
    saved = celery_app.conf.broker_url
    try:
        server.start()
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = server.url
        reset_broker_pools()
        yield server
    finally:
        celery_app.conf.broker_url = saved
        reset_broker_pools()
        server.stop()


@pytest.fixture
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()


@pytest.fixture
def start_worker(redis_server, provider, tmp_path):
    """start_worker() -> a ready WorkerProcess; all are stopped (or killed) at the end."""
    started: list[WorkerProcess] = []

    def start(wait=True) -> WorkerProcess:
        n = len(started) + 1
        name = f"faults-worker-{redis_server.port}-{n}"
        env = service_env(redis_server, provider, tmp_path, name)
        worker = WorkerProcess(env, tmp_path / f"worker-{n}.log", name)
        started.append(worker)
        worker.start()
        return worker.wait_until_ready() if wait else worker

    yield start
    provider.release_all()  # nobody left waiting on the provider
    for worker in started:
        worker.kill()  # the test is over: no need to wait for a warm shutdown
    for worker in started:
        wait_for(
            lambda worker=worker: not backends(worker.app_name),
            timeout=10,
            what=f"{worker.name}'s database connections to close",
        )


@pytest.fixture
def web_server(redis_server, provider, tmp_path):
    name = f"faults-web-{redis_server.port}"
    env = service_env(
        redis_server,
        provider,
        tmp_path,
        name,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        STATIC_MANIFEST="0",
        DB_CONN_MAX_AGE="600",
    )
    server = WebServer(env, tmp_path / "gunicorn.log")
    try:
        server.start().wait_until_ready()
        yield server
    finally:
        server.stop()
        wait_for(lambda: not backends(name), timeout=10, what="gunicorn's connections to close")


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    path = tmp_path / "mail"
    path.mkdir(exist_ok=True)
    return path


# People and their check-ins ------------------------------------------------------------


def london_team(**contact_changes):
    """A care team with the vignettes' contact list (each contact: an SMS number and an
    email); `contact_changes` are set on every contact (e.g. a webhook_url)."""
    team = CareTeamFactory(time_zone="Europe/London")
    contacts = london_contact_list(team)
    if contact_changes:
        Contact.objects.filter(team=team).update(**contact_changes)
    team.contacts_by_role = contacts
    return team


def make_patient(team):
    patient = PatientFactory(care_team=team)
    TreatmentFactory(patient=patient)
    BaselineFactory(patient=patient, stools_per_day=1)
    return patient


def logged_in(patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


def check_in_form(**answers) -> dict:
    """The check-in form as the browser posts it: a fresh token and the answers given."""
    return {"form_token": str(uuid.uuid4()), **{k: str(v) for k, v in answers.items()}}


def submit(client: Client, data: dict):
    """POST the check-in through the real view, follow to the advice page; (response, seconds)."""
    started = time.monotonic()
    response = client.post(reverse("patients:check_in"), data, follow=True)
    return response, time.monotonic() - started


def queue_drained(redis_server: RedisServer) -> bool:
    """Nothing waiting in our Redis and nothing taken but unacknowledged (kombu's layout)."""
    client = redis_server.client()
    return (
        client.llen("urgent") == 0
        and client.llen("alerts") == 0
        and client.llen("reminders") == 0
        and client.hlen("unacked") == 0
    )


def restore_unacknowledged(redis_server: RedisServer) -> int:
    """What kombu's Redis transport does once the visibility timeout (an hour here) has
    passed: put every message taken but never acknowledged back on its queue. It is
    how a killed worker's task comes back; call it only when no live worker is busy."""
    client = redis_server.client()
    lost = client.hlen("unacked")
    with celery_app.connection_for_write(transport_options={"visibility_timeout": 0}) as conn:
        conn.default_channel.qos.restore_visible(num=100)
    return lost
