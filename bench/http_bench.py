"""The check-in path over HTTP on the real stack: throughput against a one-row
insert, and how long a red check-in waits for its first alert (issue 11, points 3
and 4). `python bench/http_bench.py` prints name=value lines; `run()` returns them.

(Not bench/http.py: a script run from bench/, such as bench/run.py, has bench/ first
on sys.path, and a bench/http.py there would hide the standard library's `http`.)

1. Recreates its own PostgreSQL database (its name must contain "bench") and empties
   its own Redis database (not 0), starting PostgreSQL and Redis on this machine if
   they are down (and leaving them running). A child process migrates and seeds:
   a care team with the demo's contact list, patients with a treatment and the usual
   of the load scenario (bench/load/scenario.py), each logged in once: a session row
   made as Django's test client's force_login makes it (a password login costs ~0.7 s
   of CPU by design, and this bench measures check-ins, not logins).
2. Starts gunicorn (2 x cores + 1 sync workers) with production settings (DEBUG
   unset, a random SECRET_KEY, plain HTTP on the loopback, CHECK_INS_PER_HOUR out of
   the way) and the bench's URLs (bench/http_settings.py, bench/http_urls.py: the
   project's plus /bench/insert/, which writes one row behind the same middleware),
   a Celery worker for the urgent queue (concurrency 1) and one for alerts and
   reminders (concurrency 2), on Redis, email and SMS written to files. No beat:
   nothing here waits for a periodic task.
3. Each patient opens the check-in form once (its CSRF cookie and token).
4. Throughput: client threads (3 per gunicorn worker) post the check-in form, 90 %
   "as usual" and 10 % red (9 stools against a usual of 1), and, in alternating turns
   of the same length, the insert view; each turn of the insert starts once the worker has
   judged every check-in, so that neither pays for the other's work.
5. Alert latency: red check-ins from patients with nothing open, one at a time on
   an idle system, then one every half second while the other patients post green
   check-ins at the check-in throughput just measured. A red check-in's latency runs
   from its `submitted_at` to the end of the first delivery attempt of its alert.
6. Stops everything it started, empties its Redis database and drops its database
   (kept with the logs with --keep, or when a request failed).
"""

import argparse
import contextlib
import http.client
import itertools
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from random import Random
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/symptom_tracker_http_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
TEAM = "HTTP bench team"
QUEUES = ("urgent", "alerts", "reminders")
RED_ANSWERS = {"stools_per_day": "9"}  # R2: 4 or more over a usual of 1
RED_SHARE = 0.1  # of the check-ins of the throughput run
WARM_UP = 2.0  # seconds of each kind, not counted, before the throughput run
TURNS = 4  # of check-ins and of inserts, alternating, in the throughput run
PROBES = 30  # red check-ins timed, idle and again under load
PROBE_INTERVAL = 0.5  # seconds between the red check-ins under load
PATIENTS_PER_THREAD = 6  # so that no patient sends more than a few check-ins a turn
ALERT_TIMEOUT = 60.0  # seconds a red check-in may wait for its alert before it is missing
DRAIN_TIMEOUT = 90.0
# Settings a developer's shell (or the caller, bench/run.py) may hold that must not
# reach the bench's processes.
CLEARED = (
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL", "DATABASE_URL",
    "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT",
    "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "SMS_FILE", "SMS_API_URL",
    "SMS_ACCOUNT", "SMS_TOKEN", "SMS_FROM", "SECURE_SSL_REDIRECT", "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS", "STATIC_MANIFEST", "VAR_DIR", "ENV_FILE", "DJANGO_SETTINGS_MODULE",
    "CHECK_INS_PER_HOUR",
)  # fmt: skip
SAVED = re.compile(r"^/check-ins/(\d+)/$")
INSERTED = re.compile(r"^/\?inserted=\d+$")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def log(message: str) -> None:
    print(f"[http-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The database, the broker and the environment


def database_settings(url: str) -> dict:
    import dj_database_url

    db = dj_database_url.parse(url)
    if not db["ENGINE"].endswith("postgresql"):
        raise SystemExit(f"the HTTP bench runs on PostgreSQL, not {url}")
    if "bench" not in db["NAME"]:
        raise SystemExit(f"refusing to drop database {db['NAME']!r}: its name must contain 'bench'")
    return db


def connect(db: dict, name: str | None = None):
    import psycopg2

    connection = psycopg2.connect(
        dbname=name or db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    connection.autocommit = True
    return connection


def recreate_database(db: dict, *, create: bool = True) -> None:
    from psycopg2 import sql

    admin = connect(db, "postgres")
    with admin.cursor() as cursor:
        name = sql.Identifier(db["NAME"])
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if create:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    admin.close()


def redis_client(url: str):
    import redis

    number = urlsplit(url).path.strip("/")
    if not number.isdigit() or number == "0":
        raise SystemExit(f"give the HTTP bench a Redis database of its own (e.g. /13), not {url}")
    return redis.Redis.from_url(url, socket_connect_timeout=2)


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def start_services(db: dict, redis_url: str) -> None:
    """PostgreSQL and Redis on this machine, started if they are down (and left running:
    other work on the machine may use them by the time the bench ends)."""
    host, port = db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)
    if host in ("127.0.0.1", "localhost") and not listening(host, port):
        log("PostgreSQL is down: starting it")
        for version in sorted(os.listdir("/etc/postgresql")):
            cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
            subprocess.run(cluster, check=True)
        wait_until(lambda: listening(host, port), 30, "PostgreSQL did not start")
    redis = urlsplit(redis_url)
    rhost, rport = redis.hostname or "127.0.0.1", redis.port or 6379
    if rhost in ("127.0.0.1", "localhost") and not listening(rhost, rport):
        log("Redis is down: starting it")
        argv = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1"]
        argv += ["--port", str(rport), "--save", "", "--appendonly", "no"]
        subprocess.run(argv, check=True)
        wait_until(lambda: listening(rhost, rport), 30, "Redis did not start")


def wait_until(condition, timeout: float, failure: str, pause: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(failure)
        time.sleep(pause)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str, redis_url: str, workdir: Path, port: int) -> dict:
    """Production settings on the loopback (as bench/load/run.py sets them), the alert
    channels writing to files, and no limit of check-ins an hour in the way."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        ENV_FILE="/dev/null",  # not the developer's .env (DEBUG=1)
        DJANGO_SETTINGS_MODULE="symptom_tracker.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        STATIC_MANIFEST="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        VAR_DIR=str(workdir / "var"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(workdir / "mail"),
        SMS_FILE=str(workdir / "sms.log"),
        # A few patients send many check-ins here; a hospital's many patients send few.
        CHECK_INS_PER_HOUR="1000000",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


# Seeding, in a child process of its own (the caller may have set Django up already,
# on another database)


def seed_in_child(env: dict, workdir: Path, load_patients: int, probe_patients: int) -> dict:
    """Migrates and seeds in a child process; returns what it wrote (see seed_main)."""
    out = workdir / "seed.json"
    argv = [sys.executable, str(Path(__file__).resolve()), "--seed", str(out)]
    argv += [str(load_patients), str(probe_patients)]
    with (workdir / "seed.log").open("w") as seed_log:
        done = subprocess.run(argv, cwd=ROOT, env=env, stdout=seed_log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = (workdir / "seed.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"seeding failed (exit {done.returncode}):\n{tail}")
    return json.loads(out.read_text())


def seed_main(out: str, load_patients: int, probe_patients: int) -> None:
    """The child: migrate, make the insert view's table, seed, write the sessions and
    the table names to `out` as JSON."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.http_urls import CREATE_TABLE
    from bench.load import scenario

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    sessions = seed_patients(load_patients + probe_patients, scenario.BASELINE)
    Path(out).write_text(
        json.dumps(
            {
                "load": sessions[:load_patients],
                "probes": sessions[load_patients:],
                "usual_form": scenario.usual_form(),
                "tables": table_names(),
            }
        )
    )


def seed_patients(count: int, usual: dict) -> list[str]:
    """A team with the demo's contact list; `count` patients with a treatment and the
    same usual, each logged in once: their session keys, in order."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from bench.load import seeding

    now = timezone.now()
    team = seeding.team_with_contacts(TEAM)
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"http-bench-patient-{n:04d}",
            password=make_password(None),  # no password login here: see the sessions below
            first_name="Bench",
            last_name=f"Patient {n:04d}",
            email=f"http-bench-patient-{n:04d}@example.org",
        )
        for n in range(count)
    )
    seeding.patients_on_treatment(team, users, prefix="HTTP", usual=usual, now=now)
    # Logged in as Django's test client's force_login logs in: the session's user,
    # backend and password hash, signed with the SECRET_KEY gunicorn has too.
    backend = "django.contrib.auth.backends.ModelBackend"
    expires = now + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions = [
        Session(
            session_key=get_random_string(32),
            session_data=SessionStore().encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: backend,
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                }
            ),
            expire_date=expires,
        )
        for user in users
    ]
    Session.objects.bulk_create(sessions)
    return [s.session_key for s in sessions]


def table_names() -> dict:
    """The tables and columns the latency query reads, as the models name them."""
    from alerts.models import Alert, DeliveryAttempt, Notification
    from patients.models import CheckIn

    return {
        "check_in": CheckIn._meta.db_table,
        "alert": Alert._meta.db_table,
        "alert_check_in": Alert._meta.get_field("check_in").column,
        "notification": Notification._meta.db_table,
        "notification_alert": Notification._meta.get_field("alert").column,
        "attempt": DeliveryAttempt._meta.db_table,
        "attempt_notification": DeliveryAttempt._meta.get_field("notification").column,
    }


# Processes


class Process:
    """A child in a session of its own, so that it and its children stop together."""

    def __init__(self, name: str, argv: list[str], env: dict, workdir: Path):
        self.name, self.log = name, workdir / f"{name}.log"
        with self.log.open("w") as out:
            self.popen = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def running(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """Ask it to stop: the leader alone, since gunicorn's master and Celery's main
        process stop their children themselves (a pool child killed directly is a
        lost task)."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signal.SIGTERM)

    def wait(self, timeout: float = 20) -> None:
        """Wait for it to stop; past the timeout, kill it and its children."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_stack(env: dict, workdir: Path, port: int, web_workers: int) -> list[Process]:
    """gunicorn with the bench's URLs, an urgent worker and an alerts-and-reminders
    worker; returns once all three are ready. Appends to the list as it goes, so that
    the caller stops what started even when a later one fails."""
    python = sys.executable
    web = [python, "-m", "gunicorn", "symptom_tracker.wsgi:application"]
    web += ["--bind", f"127.0.0.1:{port}", "--workers", str(web_workers)]
    web += ["--timeout", "60", "--graceful-timeout", "10"]
    celery = [python, "-m", "celery", "-A", "symptom_tracker", "worker", "--loglevel=INFO"]
    urgent = [*celery, "--queues=urgent", "--concurrency=1", "--hostname=http-bench-urgent@%h"]
    alerts = [*celery, "--queues=alerts,reminders", "--concurrency=2"]
    alerts += ["--hostname=http-bench-alerts@%h"]
    web_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.http_settings"}
    return [
        Process("web", web, web_env, workdir),
        Process("worker-urgent", urgent, env, workdir),
        Process("worker-alerts", alerts, env, workdir),
    ]


def wait_for_stack(processes: list[Process], port: int) -> None:
    def web_up() -> bool:
        if not processes[0].running():
            raise SystemExit(f"gunicorn stopped:\n{processes[0].tail()}")
        try:
            return Browser(port, "").get("/login/")[0] == 200
        except OSError:
            return False

    wait_until(web_up, 60, f"gunicorn did not start:\n{processes[0].tail()}", pause=0.3)
    for worker in processes[1:]:
        wait_until(
            lambda w=worker: "ready." in w.log.read_text(errors="replace") or not w.running(),
            60,
            f"{worker.name} did not start:\n{worker.tail()}",
            pause=0.3,
        )
        if not worker.running():
            raise SystemExit(f"{worker.name} stopped:\n{worker.tail()}")


# The client


class Browser:
    """One logged-in patient: their cookies (session, CSRF) and the form's CSRF token.
    A new connection a request: gunicorn's sync workers close each one anyway."""

    def __init__(self, port: int, session_key: str, usual_form: dict | None = None):
        self.port, self.usual_form = port, usual_form or {}
        self.cookies = {"sessionid": session_key} if session_key else {}
        self.token = ""
        self._usual_body = None  # (the CSRF token, the usual form encoded with it)

    def _request(self, method: str, path: str, body: str | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location", ""), content
        finally:
            connection.close()

    def get(self, path: str):
        return self._request("GET", path)

    def post(self, path: str, data: dict):
        return self._request("POST", path, urlencode({**data, "csrfmiddlewaretoken": self.token}))

    def open_check_in(self) -> None:
        """The check-in form, once: the CSRF cookie and token for every post after."""
        status, location, content = self.get("/check-in/")
        found = CSRF_FIELD.search(content.decode(errors="replace"))
        if status != 200 or not found:
            raise SystemExit(f"the check-in form: HTTP {status} {location}, token: {bool(found)}")
        self.token = found.group(1)

    def check_in(self, answers: dict) -> int:
        """Post the form with these answers changed from the usual; the check-in's id.
        The usual form is encoded once (the client's CPU is the server's too on this
        machine: it should spend as little as it can)."""
        token = f"form_token={uuid.uuid4()}"
        if answers:
            data = {**self.usual_form, **answers, "csrfmiddlewaretoken": self.token}
            body = f"{urlencode(data)}&{token}"
        else:
            if self._usual_body is None or self._usual_body[0] != self.token:
                data = {**self.usual_form, "csrfmiddlewaretoken": self.token}
                self._usual_body = (self.token, urlencode(data))
            body = f"{self._usual_body[1]}&{token}"
        status, location, content = self._request("POST", "/check-in/", body)
        saved = SAVED.match(location)
        if status != 302 or not saved:
            raise RequestFailed(f"check-in: HTTP {status} {location} {content[:200]!r}")
        return int(saved.group(1))

    def insert(self) -> None:
        status, location, content = self.post("/bench/insert/", {})
        if status != 302 or not INSERTED.match(location):
            raise RequestFailed(f"insert: HTTP {status} {location} {content[:200]!r}")


class RequestFailed(Exception):
    pass


@dataclass
class Tally:
    """Requests answered as expected before the end of a run, and the failures."""

    seconds: float = 0.0
    done: int = 0
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, in_time: bool, error: str | None = None) -> None:
        with self.lock:
            if error:
                self.errors.append(error)
            elif in_time:
                self.done += 1

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def hammer(browsers: list, send, seconds: float, threads: int, rate: float = 0.0) -> Tally:
    """`threads` threads, each sending with its share of the browsers in turn for
    `seconds` (at most `rate` requests a second all together when given): how many
    were answered as expected within the time."""
    tally = Tally(seconds=seconds)
    slots, slot_lock = itertools.count(), threading.Lock()
    start = time.monotonic()
    end = start + seconds

    def user(number: int, mine: list) -> None:
        rng = Random(number)
        for browser in itertools.cycle(mine):
            if rate:
                with slot_lock:
                    at = start + next(slots) / rate
                if at >= end:
                    return
                time.sleep(max(0.0, at - time.monotonic()))
            elif time.monotonic() >= end:
                return
            try:
                send(browser, rng)
                tally.add(time.monotonic() <= end)
            except (RequestFailed, OSError, http.client.HTTPException) as exc:
                tally.add(False, f"{type(exc).__name__}: {exc}")

    workers = [
        threading.Thread(target=user, args=(n, browsers[n::threads]), daemon=True)
        for n in range(min(threads, len(browsers)))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally


def send_mixed_check_in(browser: Browser, rng: Random) -> None:
    browser.check_in(RED_ANSWERS if rng.random() < RED_SHARE else {})


def send_green_check_in(browser: Browser, _rng: Random) -> None:
    browser.check_in({})


def send_insert(browser: Browser, _rng: Random) -> None:
    browser.insert()


def open_forms(browsers: list, threads: int) -> None:
    """Every browser opens the check-in form once, a few at a time."""
    queue, lock, failures = list(browsers), threading.Lock(), []

    def user() -> None:
        while True:
            with lock:
                if not queue:
                    return
                browser = queue.pop()
            try:
                browser.open_check_in()
            except (SystemExit, OSError, http.client.HTTPException) as exc:
                failures.append(str(exc))

    workers = [threading.Thread(target=user, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise SystemExit(f"{len(failures)} patients could not open the form: {failures[0]}")


# The worker's side, read from the database


class Watcher:
    """Reads, from the database and the broker, what the worker has done."""

    def __init__(self, db: dict, redis, tables: dict):
        self.connection = connect(db)
        self.redis = redis
        self.tables = tables

    def close(self) -> None:
        self.connection.close()

    def busy(self) -> str:
        """What is left for the workers ("" when nothing): unjudged check-ins, due
        notifications without an outcome, tasks waiting in the broker."""
        t = self.tables
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {t['check_in']} WHERE evaluated_at IS NULL")
            (unjudged,) = cursor.fetchone()
            cursor.execute(
                f"SELECT count(*) FROM {t['notification']} "
                "WHERE status IN ('queued', 'sending') AND not_before <= now()"
            )
            (undelivered,) = cursor.fetchone()
        waiting = sum(self.redis.llen(queue) for queue in QUEUES) + self.redis.hlen("unacked")
        if unjudged or undelivered or waiting:
            return f"{unjudged} check-ins unjudged, {undelivered} notifications, {waiting} tasks"
        return ""

    def drain(self) -> float:
        """Wait until the workers have nothing left; the seconds it took."""
        started = time.monotonic()
        while state := self.busy():
            if time.monotonic() - started > DRAIN_TIMEOUT:
                raise SystemExit(f"the workers did not finish in {DRAIN_TIMEOUT:.0f} s: {state}")
            time.sleep(0.25)
        return time.monotonic() - started

    def latencies(self, check_in_ids: list[int]) -> dict[int, float]:
        """Milliseconds from each check-in's submitted_at to the end of the first
        delivery attempt of its alert, for those that have one."""
        t = self.tables
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.id, EXTRACT(EPOCH FROM min(d.finished_at) - c.submitted_at) "
                f"FROM {t['check_in']} c "
                f"JOIN {t['alert']} a ON a.{t['alert_check_in']} = c.id "
                f"JOIN {t['notification']} n ON n.{t['notification_alert']} = a.id "
                f"JOIN {t['attempt']} d ON d.{t['attempt_notification']} = n.id "
                "WHERE c.id = ANY(%s) AND d.finished_at IS NOT NULL GROUP BY c.id",
                [check_in_ids],
            )
            return {pk: float(seconds) * 1000 for pk, seconds in cursor.fetchall()}

    def wait_for_alerts(self, check_in_ids: list[int], timeout: float) -> dict[int, float]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.latencies(check_in_ids)
            if len(found) == len(check_in_ids) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def percentile(values: list[float], p: float) -> float:
    """Nearest rank; a missing value counts as infinitely late."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_lines(prefix: str, probes: "Probes") -> dict[str, str]:
    values = [probes.found.get(pk, math.inf) for pk in probes.ids]
    return {
        f"{prefix}_p50_ms": f"{percentile(values, 50):.0f}",
        f"{prefix}_p95_ms": f"{percentile(values, 95):.0f}",
        f"{prefix}_count": str(len(probes.ids)),
        f"{prefix}_missing": str(len(probes.ids) - len(probes.found)),
    }


# Where the CPU goes


class CpuMeter:
    """CPU time (from /proc) spent by each part of the stack: the web server, the
    workers (each a session of its own, children included), PostgreSQL, Redis and
    this client. Differences between two readings say where a turn's time went."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, processes: list):
        self.sessions = {p.popen.pid: p.name for p in processes}

    def read(self) -> dict[str, float]:
        seconds: dict[str, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            comm = raw[raw.index("(") + 1 : raw.rindex(")")]
            fields = raw[raw.rindex(")") + 2 :].split()
            session, used = int(fields[3]), int(fields[11]) + int(fields[12])
            if int(entry) == os.getpid():
                part = "client"
            elif session in self.sessions:
                part = self.sessions[session]
            elif comm.startswith("postgres"):
                part = "database"
            elif comm.startswith("redis"):
                part = "broker"
            else:
                continue
            seconds[part] = seconds.get(part, 0.0) + used / self.TICK
        return seconds

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        return {part: after.get(part, 0.0) - before.get(part, 0.0) for part in after}


def cpu_lines(kind: str, spent: dict, done: int) -> dict[str, str]:
    """Milliseconds of CPU per request of `kind`, by part of the stack."""
    if not done:
        return {}
    lines = {f"cpu_ms_per_{kind}_{part}": f"{1000 * t / done:.2f}" for part, t in spent.items()}
    lines[f"cpu_ms_per_{kind}_total"] = f"{1000 * sum(spent.values()) / done:.2f}"
    return dict(sorted(lines.items()))


# The runs


def measure_throughput(
    load: list, watcher: Watcher, seconds: float, threads: int, meter: CpuMeter | None = None
) -> dict:
    """Check-ins and inserts in alternating turns of the same length (TURNS each), each
    insert turn after the workers have caught up with the check-ins before it: short
    turns, so that a burst of other work on a shared machine weighs on both alike."""
    # A turn of each first, not counted: each gunicorn worker's first requests of a
    # kind pay for what it loads and caches once.
    warm = [hammer(load, send, WARM_UP, threads) for send in (send_insert, send_mixed_check_in)]
    check_ins, inserts, errors = [], [], [e for tally in warm for e in tally.errors]
    cpu = {"check_in": {}, "insert": {}}

    def metered(kind: str, work):
        before = meter.read() if meter else {}
        result = work()
        if meter:
            for part, t in CpuMeter.spent(before, meter.read()).items():
                cpu[kind][part] = cpu[kind].get(part, 0.0) + t
        return result

    watcher.drain()  # the warm-up's check-ins
    for turn in range(TURNS):
        metered("check_in", watcher.drain)  # the workers' share of the turn before
        inserts.append(
            metered("insert", lambda: hammer(load, send_insert, seconds / TURNS, threads))
        )
        check_ins.append(
            metered("check_in", lambda: hammer(load, send_mixed_check_in, seconds / TURNS, threads))
        )
        log(
            f"turn {turn + 1}: {check_ins[-1].per_second:.1f} check-ins/s, "
            f"{inserts[-1].per_second:.1f} inserts/s"
        )
    drained = metered("check_in", watcher.drain)
    for tally in check_ins + inserts:
        errors += tally.errors
    check_in_rate = sum(t.done for t in check_ins) / seconds
    insert_rate = sum(t.done for t in inserts) / seconds
    return {
        "check_in_per_second": check_in_rate,
        "insert_per_second": insert_rate,
        "cpu": {
            **cpu_lines("check_in", cpu["check_in"], sum(t.done for t in check_ins)),
            **cpu_lines("insert", cpu["insert"], sum(t.done for t in inserts)),
        },
        "drained": drained,
        "errors": errors,
    }


@dataclass
class Probes:
    """Red check-ins timed: their ids, the latency of those alerted (ms), what failed,
    and the deepest the alerts queue (green work) was while they were sent."""

    ids: list = field(default_factory=list)
    found: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    green_backlog: int = 0

    def send(self, browser: Browser) -> int | None:
        try:
            pk = browser.check_in(RED_ANSWERS)
        except (RequestFailed, OSError, http.client.HTTPException) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return None
        self.ids.append(pk)
        return pk


def measure_idle_latency(browsers: list, watcher: Watcher) -> Probes:
    """Red check-ins one at a time, each after the one before has its first attempt."""
    probes = Probes()
    for browser in browsers:
        pk = probes.send(browser)
        if pk is not None:
            probes.found.update(watcher.wait_for_alerts([pk], ALERT_TIMEOUT))
    return probes


def measure_loaded_latency(
    load: list, browsers: list, watcher: Watcher, rate: float, threads: int
) -> tuple[Probes, Tally]:
    """Red check-ins every PROBE_INTERVAL while the load's patients post green ones
    at `rate` a second (from 2 s before the first red to the last)."""
    lead = 2.0
    seconds = lead + len(browsers) * PROBE_INTERVAL
    result: dict = {}
    background = threading.Thread(
        target=lambda: result.update(
            tally=hammer(load, send_green_check_in, seconds, threads, rate=rate)
        ),
        daemon=True,
    )
    background.start()
    time.sleep(lead)
    probes = Probes()
    start = time.monotonic()
    for n, browser in enumerate(browsers):
        time.sleep(max(0.0, start + n * PROBE_INTERVAL - time.monotonic()))
        probes.send(browser)
        probes.green_backlog = max(probes.green_backlog, watcher.redis.llen("alerts"))
    background.join()
    probes.found = watcher.wait_for_alerts(probes.ids, ALERT_TIMEOUT)
    return probes, result["tally"]


def run(
    *,
    database_url: str,
    redis_url: str,
    seconds: float = 20.0,
    web_workers: int | None = None,
    keep: bool = False,
) -> dict[str, str]:
    """The whole bench; its name=value pairs. `seconds` is each kind's share of the
    throughput run (check-ins and inserts alike)."""
    began = time.monotonic()
    db = database_settings(database_url)
    redis = redis_client(redis_url)
    start_services(db, redis_url)
    web_workers = web_workers or 2 * (os.cpu_count() or 2) + 1
    threads = 3 * web_workers
    workdir = Path(tempfile.mkdtemp(prefix="symptom-http-bench-"))
    (workdir / "mail").mkdir()
    port = free_port()
    env = environment(database_url, redis_url, workdir, port)
    processes: list[Process] = []
    watcher = None
    failed = True
    try:
        log(f"database {db['NAME']}: recreating, migrating, seeding")
        recreate_database(db)
        redis.flushdb()
        seeded = seed_in_child(env, workdir, threads * PATIENTS_PER_THREAD, 2 * PROBES)
        log(f"gunicorn ({web_workers} workers) on port {port}, an urgent and an alerts worker")
        processes.extend(start_stack(env, workdir, port, web_workers))
        wait_for_stack(processes, port)
        usual = seeded["usual_form"]  # the whole form at the usual (bench/load/scenario.py)
        load = [Browser(port, key, usual) for key in seeded["load"]]
        probes = [Browser(port, key, usual) for key in seeded["probes"]]
        open_forms(load + probes, threads)
        watcher = Watcher(db, redis, seeded["tables"])

        log(f"throughput: check-ins and inserts, {seconds:g} s each, {threads} client threads")
        throughput = measure_throughput(load, watcher, seconds, threads, CpuMeter(processes))
        log(f"idle: {PROBES} red check-ins one at a time")
        idle = measure_idle_latency(probes[:PROBES], watcher)
        rate = throughput["check_in_per_second"]
        log(f"loaded: {PROBES} red check-ins while green ones go at {rate:.1f}/s")
        loaded, background = measure_loaded_latency(load, probes[PROBES:], watcher, rate, threads)
        errors = throughput["errors"] + idle.errors + loaded.errors + background.errors
        dead = [p.name for p in processes if not p.running()]
        if dead:
            errors.append(f"stopped during the run: {', '.join(dead)}")
        for error in errors[:5]:
            log(f"error: {error}")
        check_in_rate, insert_rate = rate, throughput["insert_per_second"]
        values = {
            "check_in_per_second": f"{check_in_rate:.1f}",
            "insert_per_second": f"{insert_rate:.1f}",
            "check_in_vs_insert_ratio": f"{check_in_rate / insert_rate:.2f}"
            if insert_rate
            else "nan",
            **latency_lines("alert_latency_idle", idle),
            **latency_lines("alert_latency_loaded", loaded),
            **throughput["cpu"],
            "loaded_green_check_in_per_second": f"{background.per_second:.1f}",
            "loaded_alerts_queue_max": str(loaded.green_backlog),
            "http_bench_web_workers": str(web_workers),
            "http_bench_errors": str(len(errors)),
            "http_bench_seconds": f"{time.monotonic() - began:.0f}",
        }
        failed = bool(errors)
        return values
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
        if watcher is not None:
            watcher.close()
        if failed or keep:
            log(f"kept the database {db['NAME']} and the logs in {workdir}")
        else:
            recreate_database(db, create=False)
            shutil.rmtree(workdir, ignore_errors=True)
        redis.flushdb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("HTTP_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("HTTP_BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="of each kind of request")
    parser.add_argument("--web-workers", type=int, default=None, help="gunicorn's (2 x cores + 1)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()

    def stop_on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    values = run(
        database_url=args.database_url,
        redis_url=args.redis_url,
        seconds=args.seconds,
        web_workers=args.web_workers,
        keep=args.keep,
    )
    for name, value in values.items():
        print(f"{name}={value}", flush=True)
    return 1 if values["http_bench_errors"] != "0" else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--seed"]:
        seed_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(main())
