"""`make load`: patients checking in and nurses working the queue, on the real stack.

1. Recreates its own PostgreSQL database (LOAD_DATABASE_URL, default
   symptom_tracker_load; its name must contain "load") and empties its own Redis
   database (LOAD_REDIS_URL, default db 14), then migrates and seeds: one care
   team with the demo's contact list (a weekday nurse specialist, a 24-hour
   line, an on-call registrar; email and SMS each), 100 patients with a
   treatment and the same baseline (scenario.py), and 10 nurses of the team.
2. Starts gunicorn, a Celery worker and Celery beat with production settings:
   DEBUG unset, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, and plain HTTP on
   the loopback (SECURE_SSL_REDIRECT=0, SECURE_COOKIES=0). The worker's email
   goes to files and its SMS to a file, in a temporary folder.
3. Runs Locust headless (locustfile.py): 100 patients checking in (a share red,
   each red on a symptom new for that patient, so that each must raise an
   alert) and 10 nurses refreshing the triage queue, for 2 minutes.
4. Waits for the worker to finish, then checks the database: every check-in
   sent was saved once and judged as the scenario expects; every red (or
   emergency) check-in has exactly one alert, at its urgency; every alert's
   notifications are one per contact and channel, each delivered once (the SMS
   file and the emails are counted too).
5. Prints requests, errors and p50/p95/p99 latency per kind of request and
   overall, for the whole run and again from the last login on (110 logins at
   once queue behind each other's password hashing), then the checks. Exits 1
   on any error or failed check. Stops everything it started; keeps the
   database and the logs only when asked (--keep) or when something failed.

With --instances 2 everything runs twice, as on two machines: two gunicorn
instances on ports of their own (Locust deals the users between them), two
alerts-and-reminders workers, two urgent workers and two beats, on the one
PostgreSQL and the one Redis. Only one beat may schedule (the other stands by on
its lock, base/beat.py), and every red check-in must still have exactly one alert.

Run `bench/load/run.py --help` for the knobs (duration, users, pace, processes);
bench/load/README.md says more.
"""

import argparse
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
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/symptom_tracker_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
TEAM = "Load test team"
# Settings a developer's shell may hold that must not leak into the load's processes.
CLEARED = (
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL", "DATABASE_URL",
    "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT",
    "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "SMS_FILE", "SMS_API_URL",
    "SMS_ACCOUNT", "SMS_TOKEN", "SMS_FROM", "SECURE_SSL_REDIRECT", "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS", "STATIC_MANIFEST", "VAR_DIR", "ENV_FILE",
)  # fmt: skip


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-t", "--duration", default="2m", help="Locust's run time (2m, 20s)")
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--nurses", type=int, default=10)
    parser.add_argument("-r", "--spawn-rate", type=float, default=20, help="users started a second")
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="web instances, workers and beats of each kind (2: as on two machines)",
    )
    parser.add_argument(
        "--web-workers", type=int, help=f"gunicorn workers an instance ({2 * cores + 1} in all)"
    )
    parser.add_argument("--web-threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument(
        "--worker-concurrency", type=int, default=2, help="processes of an alerts worker"
    )
    parser.add_argument(
        "--urgent-concurrency", type=int, default=1, help="processes of an urgent worker"
    )
    parser.add_argument("--port", type=int, default=0, help="first gunicorn's port (0: free)")
    pace = parser.add_argument_group("pace (seconds, LOW,HIGH: drawn evenly between)")
    pace.add_argument("--fill-time", default="10,30", help="a patient filling in the form")
    pace.add_argument("--patient-wait", default="5,15", help="between a patient's check-ins")
    pace.add_argument("--nurse-wait", default="5,15", help="between refreshes of the queue")
    pace.add_argument("--timeout", type=float, default=120, help="before a request has failed")
    parser.add_argument("--red-share", type=float, default=0.2, help="of check-ins, red")
    parser.add_argument("--amber-share", type=float, default=0.2, help="of check-ins, amber")
    parser.add_argument("--drain-timeout", type=float, default=300, help="seconds")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument(
        "--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS_URL))
    args = parser.parse_args()
    if args.instances < 1:
        parser.error("--instances must be 1 or more")
    if args.web_workers is None:  # the machine's share: 2 x cores + 1 in all
        args.web_workers = max(2, math.ceil((2 * cores + 1) / args.instances))
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(args, workdir: Path, port: int) -> dict:
    """The production settings, on the loopback, with the alert channels writing to files."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        ENV_FILE="/dev/null",  # not the developer's .env (DEBUG=1)
        DJANGO_SETTINGS_MODULE="symptom_tracker.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        # Plain HTTP on the loopback: no redirect to https, cookies not marked Secure.
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        # No collectstatic into the work tree: static URLs unhashed (Locust fetches no assets).
        STATIC_MANIFEST="0",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        VAR_DIR=str(workdir / "var"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(workdir / "mail"),
        SMS_FILE=str(workdir / "sms.log"),
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


# The database and the broker


def _server_connection(url: str):
    """(a connection to the server's `postgres` database, the load database's name)."""
    import dj_database_url
    import psycopg2

    db = dj_database_url.parse(url)
    if not db["ENGINE"].endswith("postgresql"):
        raise SystemExit(f"the load runs on PostgreSQL, not {url}")
    admin = psycopg2.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    admin.autocommit = True
    return admin, db["NAME"]


def recreate_database(url: str) -> None:
    from psycopg2 import sql

    admin, name = _server_connection(url)
    if "load" not in name:
        admin.close()
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'load'")
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def drop_database(url: str) -> None:
    from psycopg2 import sql

    admin, name = _server_connection(url)
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    admin.close()


def redis_client(url: str):
    import redis

    number = urlsplit(url).path.strip("/")
    if not number.isdigit() or number == "0":
        raise SystemExit(f"give the load a Redis database of its own (e.g. /14), not {url}")
    return redis.Redis.from_url(url, socket_connect_timeout=2)


# Seeding


def seed(password: str, patients: int, nurses: int) -> None:
    import scenario
    import seeding
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from patients.models import TeamMembership

    User = get_user_model()
    now = timezone.now()
    team = seeding.team_with_contacts(TEAM)
    hashed = make_password(password)  # once: the production hasher is slow by design
    users = User.objects.bulk_create(
        User(
            username=scenario.patient_username(n),
            password=hashed,
            first_name="Load",
            last_name=f"Patient {n:03d}",
            email=f"{scenario.patient_username(n)}@example.org",
        )
        for n in range(patients)
    )
    seeding.patients_on_treatment(team, users, prefix="LOAD", usual=scenario.BASELINE, now=now)
    staff = User.objects.bulk_create(
        User(
            username=scenario.nurse_username(n),
            password=hashed,
            first_name="Load",
            last_name=f"Nurse {n:02d}",
            email=f"{scenario.nurse_username(n)}@example.org",
        )
        for n in range(nurses)
    )
    TeamMembership.objects.bulk_create(
        TeamMembership(team=team, user=user, role="nurse") for user in staff
    )
    # Their authenticator apps: clinicians give a code after the password.
    TOTPDevice.objects.bulk_create(
        TOTPDevice(
            user=user,
            name="Load test app",
            confirmed=True,
            key=scenario.nurse_totp_key(user.username).hex(),
        )
        for user in staff
    )


# Processes


class Process:
    """A child in a session of its own, so that it and its children stop together."""

    def __init__(self, name: str, argv: list[str], env: dict, workdir: Path):
        self.name, self.log = name, workdir / f"{name}.log"
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 30) -> None:
        if not self.running():
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        except ProcessLookupError:
            pass

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_for_web(base: str, web: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not web.running():
            break
        try:
            with urllib.request.urlopen(f"{base}/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not start:\n{web.tail()}")


def wait_for_log(process: Process, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in process.log.read_text(errors="replace"):
            return
        if not process.running():
            break
        time.sleep(0.3)
    raise SystemExit(f"{process.name} did not start:\n{process.tail()}")


def get_json(url: str) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.load(exc)
        except ValueError:
            return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


# After the load


def drain(redis, timeout: float) -> tuple[float | None, str]:
    """Wait until every check-in is judged and every due notification has an outcome."""
    from django.utils import timezone

    from alerts.models import Notification
    from base.queues import QUEUES
    from patients.models import CheckIn

    started = time.monotonic()
    while True:
        unjudged = CheckIn.objects.filter(evaluated_at__isnull=True).count()
        undelivered = Notification.objects.filter(
            status__in=["queued", "sending"], not_before__lte=timezone.now()
        ).count()
        waiting = sum(redis.llen(q) for q in QUEUES) + redis.hlen("unacked")
        state = (
            f"{unjudged} check-ins not judged, {undelivered} notifications not delivered, "
            f"{waiting} tasks in the broker"
        )
        if not (unjudged or undelivered or waiting):
            return time.monotonic() - started, state
        if time.monotonic() - started > timeout:
            return None, state
        time.sleep(1)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def request_table(timings: list) -> list[str]:
    """Requests, errors and p50/p95/p99 (ms) per kind of request, then all together."""
    by_kind: dict[str, list] = defaultdict(list)
    for kind, ms, ok, _ in timings:
        by_kind[kind].append((ms, ok))
    by_kind["all"] = [(ms, ok) for _, ms, ok, _ in timings]
    lines = [f"{'request':<28}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"]
    for kind in [*sorted(k for k in by_kind if k != "all"), "all"]:
        rows = by_kind[kind]
        times = sorted(ms for ms, _ in rows)
        errors = sum(1 for _, ok in rows if not ok)
        lines.append(
            f"{kind:<28}{len(rows):>9}{errors:>8}"
            + "".join(f"{percentile(times, p):>9.0f}" for p in (50, 95, 99))
        )
    return lines


def after_logins(timings: list) -> tuple[list, float]:
    """The requests started once every user had logged in and seen their first page (the
    steady state), and when that was, in seconds from the first request."""
    first = min(end - ms / 1000 for _, ms, _, end in timings)
    starting = ("POST /login/", "GET / [patient]")
    logins = [end for kind, _, _, end in timings if kind.startswith(starting)]
    settled = max(logins, default=first)
    steady = [t for t in timings if t[3] - t[1] / 1000 >= settled]
    return steady, settled - first


def verify(submitted: list[dict], workdir: Path) -> tuple[list[str], list[str], dict]:
    """The database against what the patients sent: (figures, problems, counts)."""
    from django.db.models import Count

    from alerts.models import Alert, DeliveryAttempt, Notification
    from patients.models import CheckIn, Flag

    figures, problems = [], []
    sent = {s["id"]: s for s in submitted}
    rows = {
        c["pk"]: c
        for c in CheckIn.objects.values("pk", "urgency", "evaluated_at", "patient__user__username")
    }
    if len(sent) != len(submitted):
        problems.append(f"{len(submitted) - len(sent)} check-ins were answered with an id twice")
    missing, extra = sorted(set(sent) - set(rows)), sorted(set(rows) - set(sent))
    if missing:
        problems.append(f"{len(missing)} check-ins sent are not in the database: {missing[:10]}")
    if extra:
        problems.append(f"{len(extra)} check-ins in the database were not sent: {extra[:10]}")
    wrong = [
        (pk, s["expected"], rows[pk]["urgency"], s["answers"])
        for pk, s in sent.items()
        if pk in rows and rows[pk]["urgency"] != s["expected"]
    ]
    if wrong:
        problems.append(f"{len(wrong)} check-ins judged otherwise than expected: {wrong[:5]}")
    unjudged = [pk for pk, c in rows.items() if c["evaluated_at"] is None]
    if unjudged:
        problems.append(f"{len(unjudged)} check-ins never judged by the worker: {unjudged[:10]}")
    by_urgency = Counter(c["urgency"] for c in rows.values())
    figures.append(
        f"check-ins: {len(rows)} ("
        + ", ".join(f"{by_urgency[u]} {u}" for u in ("green", "amber", "red", "emergency"))
        + ")"
    )

    # Every red (or emergency) check-in: exactly one alert, at its urgency.
    red = {pk for pk, c in rows.items() if c["urgency"] in ("red", "emergency")}
    alerts = {
        a["check_in_id"]: a for a in Alert.objects.values("pk", "check_in_id", "urgency", "level")
    }
    per_check_in = Counter(Alert.objects.values_list("check_in_id", flat=True))
    no_alert = sorted(pk for pk in red if per_check_in[pk] == 0)
    doubled = sorted(pk for pk in red if per_check_in[pk] > 1)
    other_urgency = sorted(
        pk for pk in red if pk in alerts and alerts[pk]["urgency"] != rows[pk]["urgency"]
    )
    for pk in no_alert[:5]:
        flags = list(
            Flag.objects.filter(check_in_id=pk).values_list("symptom", "urgency", "alerted")
        )
        problems.append(f"red check-in {pk} ({rows[pk]['urgency']}) has no alert; flags {flags}")
    if no_alert:
        problems.append(f"{len(no_alert)} red check-ins have no alert: {no_alert[:20]}")
    if doubled:
        problems.append(f"{len(doubled)} red check-ins have more than one alert: {doubled[:20]}")
    if other_urgency:
        problems.append(f"{len(other_urgency)} alerts differ from their check-in's urgency")
    green_flagged = sorted(
        pk for pk, c in rows.items() if c["urgency"] == "green" and (pk in alerts)
    )
    if green_flagged:
        problems.append(
            f"{len(green_flagged)} green check-ins raised an alert: {green_flagged[:10]}"
        )
    amber_alerts = sum(1 for pk, c in rows.items() if c["urgency"] == "amber" and pk in alerts)
    figures.append(
        f"alerts: {len(alerts)} ({sum(1 for pk in red if pk in alerts)} for {len(red)} red or "
        f"emergency check-ins, {amber_alerts} amber; escalated: "
        f"{sum(1 for a in alerts.values() if a['level'] > 0)})"
    )
    red_ok = not (no_alert or doubled or other_urgency or missing or wrong or unjudged)
    counts = {
        "check_ins": len(rows),
        "red_check_ins": len(red),
        "red_check_ins_without_exactly_one_alert": len(no_alert) + len(doubled),
    }

    # Notifications: one per (alert, contact, channel), each delivered once.
    notifications = list(Notification.objects.values("pk", "alert_id", "channel", "status"))
    doubled_rows = (
        Notification.objects.values("alert_id", "contact_id", "channel")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    if doubled_rows:
        problems.append(
            f"duplicate notifications per contact and channel: {list(doubled_rows)[:5]}"
        )
    silent = sorted(set(alerts[pk]["pk"] for pk in alerts) - {n["alert_id"] for n in notifications})
    if silent:
        problems.append(f"{len(silent)} alerts have no notification: {silent[:10]}")
    unsent = [n for n in notifications if n["status"] != "sent"]
    if unsent:
        problems.append(f"{len(unsent)} notifications not sent: {unsent[:5]}")
    delivered = Counter(
        DeliveryAttempt.objects.filter(ok=True).values_list("notification_id", flat=True)
    )
    twice = sorted(pk for pk, n in delivered.items() if n > 1)
    if twice:
        problems.append(f"{len(twice)} notifications delivered more than once: {twice[:10]}")
    key = re.compile(r"notification-(\d+)")
    sms_file = workdir / "sms.log"
    sms = Counter(int(m) for m in key.findall(sms_file.read_text() if sms_file.exists() else ""))
    mail = Counter()
    for path in (workdir / "mail").glob("*"):
        mail.update(
            int(m) for m in re.findall(r"X-Idempotency-Key: notification-(\d+)", path.read_text())
        )
    for channel, counted in (("sms", sms), ("email", mail)):
        expected = {n["pk"] for n in notifications if n["channel"] == channel}
        if set(counted) != expected or any(v != 1 for v in counted.values()):
            over = sorted(k for k, v in counted.items() if v > 1)
            problems.append(
                f"{channel}: {len(expected)} notifications, {sum(counted.values())} messages "
                f"written (missing {sorted(expected - set(counted))[:10]}, repeated {over[:10]})"
            )
    figures.append(
        f"notifications: {len(notifications)} ({sum(sms.values())} SMS and "
        f"{sum(mail.values())} emails written by the worker)"
    )
    notes_ok = not (doubled_rows or silent or unsent or twice) and not any(
        p.startswith(("sms:", "email:")) for p in problems
    )
    if red_ok:
        figures.append("every red check-in produced exactly one alert")
    else:
        figures.append("NOT every red check-in produced exactly one alert")
    if notes_ok:
        figures.append("no duplicate notifications per contact and channel; each delivered once")
    counts["duplicate_notifications"] = len(doubled_rows) + len(twice)
    return figures, problems, counts


def server_errors(workdir: Path, instances: int) -> tuple[int, int]:
    """5xx answers in the gunicorns' access logs (but /health/'s 503), and tracebacks in
    their logs."""
    fives = tracebacks = 0
    for n in range(1, instances + 1):
        access = (workdir / f"access{_nth(n)}.log").read_text(errors="replace").split("\n")
        fives += sum(1 for line in access if line[:1] == "5" and " /health/" not in line)
        tracebacks += (workdir / f"web{_nth(n)}.log").read_text(errors="replace").count("Traceback")
    return fives, tracebacks


def served_by_instance(workdir: Path, instances: int) -> list[int]:
    """Requests in each gunicorn's access log: Locust dealt the users between them."""
    return [
        len((workdir / f"access{_nth(n)}.log").read_text(errors="replace").splitlines())
        for n in range(1, instances + 1)
    ]


def _nth(n: int) -> str:
    """The suffix of the n-th instance's process names and logs: none for the first."""
    return "" if n == 1 else f"-{n}"


def schedulers(processes: list) -> tuple[list[str], list[str]]:
    """(beats that scheduled, beats that stood by the whole run), from their logs."""
    scheduled, stood_by = [], []
    for process in processes:
        if process.name.startswith("beat"):
            text = process.log.read_text(errors="replace")
            sent = "beat: holds " in text or "Sending due task" in text
            (scheduled if sent else stood_by).append(process.name)
    return scheduled, stood_by


def start_stack(args, env: dict, workdir: Path, bases: list[str], processes: list) -> None:
    """Per instance: gunicorn, an alerts-and-reminders worker, an urgent worker and beat,
    as in production (the Procfile's split); returns when they are up."""
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "symptom_tracker"]
    for n, base in enumerate(bases, start=1):
        nth = _nth(n)
        web = [python, "-m", "gunicorn", "symptom_tracker.wsgi:application"]
        web += ["--bind", f"127.0.0.1:{urlsplit(base).port}", "--workers", str(args.web_workers)]
        if args.web_threads > 1:
            web += ["--worker-class", "gthread", "--threads", str(args.web_threads)]
        web += ["--timeout", "60", "--graceful-timeout", "10"]
        web += ["--access-logfile", str(workdir / f"access{nth}.log")]
        web += ["--access-logformat", "%(s)s %(m)s %(U)s%(q)s %(M)sms"]
        worker = [*celery, "worker", "--loglevel=INFO", f"--concurrency={args.worker_concurrency}"]
        worker += ["--queues=alerts,reminders", f"--hostname=load-worker{nth}@%h"]
        urgent = [*celery, "worker", "--loglevel=INFO", f"--concurrency={args.urgent_concurrency}"]
        urgent += ["--queues=urgent", f"--hostname=load-urgent{nth}@%h"]
        beat = [*celery, "beat", "--loglevel=INFO"]
        beat += [f"--schedule={workdir / f'celerybeat-schedule{nth}'}"]
        for name, argv in (("web", web), ("worker", worker), ("urgent", urgent), ("beat", beat)):
            processes.append(Process(f"{name}{nth}", argv, env, workdir))
    for process, base in zip(
        [p for p in processes if p.name.startswith("web")], bases, strict=True
    ):
        wait_for_web(base, process)
    for process in processes:
        if process.name.startswith(("worker", "urgent")):
            wait_for_log(process, "ready.")


def run_locust(args, env: dict, workdir: Path, bases: list[str], password: str) -> dict:
    """Locust headless, to the end of its run time: its results."""
    results = workdir / "results.json"
    locust_env = {
        **env,
        "LOAD_PASSWORD": password,
        "LOAD_PATIENTS": str(args.patients),
        "LOAD_NURSES": str(args.nurses),
        "LOAD_RESULTS": str(results),
        "LOAD_FILL_TIME": args.fill_time,
        "LOAD_PATIENT_WAIT": args.patient_wait,
        "LOAD_NURSE_WAIT": args.nurse_wait,
        "LOAD_TIMEOUT": str(args.timeout),
        "LOAD_RED_SHARE": str(args.red_share),
        "LOAD_AMBER_SHARE": str(args.amber_share),
        "LOAD_HOSTS": ",".join(bases),
    }
    users = args.patients + args.nurses
    argv = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
    argv += ["-u", str(users), "-r", str(args.spawn_rate), "-t", args.duration]
    # At the end each user finishes the check-in it is on, so that every one sent is counted.
    stop_timeout = float(args.fill_time.split(",")[1]) + 2 * args.timeout
    argv += ["--host", bases[0], "--stop-timeout", f"{stop_timeout:.0f}", "--only-summary"]
    argv += ["--csv", str(workdir / "locust")]
    with (workdir / "locust.log").open("w") as out:
        done = subprocess.run(argv, cwd=HERE, env=locust_env, stdout=out, stderr=subprocess.STDOUT)
    if not results.exists():
        tail = (workdir / "locust.log").read_text()[-3000:]
        raise SystemExit(f"locust wrote no results (exit {done.returncode}):\n{tail}")
    return json.loads(results.read_text())


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="symptom-load-"))
    (workdir / "mail").mkdir()
    ports = [args.port or free_port()] + [free_port() for _ in range(args.instances - 1)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    base = bases[0]
    env = environment(args, workdir, ports[0])
    os.environ.update(env)  # this process seeds and checks the same database
    import scenario  # after the environment: the catalogue may read settings (translations)

    scenario.check_kinds()
    password = secrets.token_urlsafe(16)
    redis = redis_client(args.redis_url)
    processes: list[Process] = []
    failed = True

    def stop_on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        log(f"database {urlsplit(args.database_url).path[1:]}: recreating, migrating, seeding")
        recreate_database(args.database_url)
        redis.flushdb()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        seed(password, args.patients, args.nurses)
        connections.close_all()

        log(
            f"starting {args.instances} x (gunicorn with {args.web_workers} workers, an alerts "
            f"worker, an urgent worker, beat) on {', '.join(bases)}"
        )
        start_stack(args, env, workdir, bases, processes)
        log(f"locust: {args.patients} patients and {args.nurses} nurses for {args.duration}")
        data = run_locust(args, env, workdir, bases, password)
        log("load done; waiting for the worker to finish")
        drained, state = drain(redis, args.drain_timeout)
        dead = [p.name for p in processes if not p.running()]
        status, health = get_json(f"{base}/health/")

        timings = data["timings"]
        if not timings:
            raise SystemExit(f"locust sent no request: see {workdir / 'locust.log'}")
        total, errors = len(timings), sum(1 for t in timings if not t[2])
        steady, settled = after_logins(timings)
        fives, tracebacks = server_errors(workdir, args.instances)
        scheduled, stood_by = schedulers(processes)
        figures, problems, counts = verify(data["submitted"], workdir)
        if drained is None:
            problems.insert(0, f"the worker did not finish in {args.drain_timeout:.0f} s: {state}")
        if data["user_errors"]:
            problems.append(
                f"{len(data['user_errors'])} errors in the users' code: {data['user_errors'][:3]}"
            )
        if fives or tracebacks:
            problems.append(f"server: {fives} responses 5xx, {tracebacks} tracebacks in web.log")
        if dead:
            problems.append(f"stopped during the run: {', '.join(dead)}")
        if len(scheduled) != 1:
            problems.append(f"{len(scheduled)} beats scheduled ({', '.join(scheduled)}), not 1")

        threads = f" x {args.web_threads} threads" if args.web_threads > 1 else ""
        times = f"{args.instances} x " if args.instances > 1 else ""
        print(
            f"load: {args.patients} patients and {args.nurses} nurses for {args.duration} "
            f"(spawn {args.spawn_rate:g}/s) against {times}(gunicorn "
            f"({args.web_workers} workers{threads}), an alerts and reminders worker "
            f"(concurrency {args.worker_concurrency}), an urgent worker (concurrency "
            f"{args.urgent_concurrency}) and beat), PostgreSQL and Redis; "
            f"form filled in {args.fill_time} s, check-ins {args.patient_wait} s apart, "
            f"queue refreshed every {args.nurse_wait} s"
        )
        print("\n".join(request_table(timings)))
        span = max(t[3] for t in timings) - min(t[3] - t[1] / 1000 for t in timings)
        print(f"requests: {total}, errors: {errors}, {total / span:.1f} requests/s")
        if steady:
            print(f"after every user had logged in ({settled:.0f} s into the run):")
            print("\n".join(request_table(steady)))
        if drained is not None:
            print(f"worker drained {drained:.1f} s after the load ended")
        print("\n".join(figures))
        print(f"health: HTTP {status} {json.dumps(health)}")
        served = served_by_instance(workdir, args.instances)
        print(f"requests served by each web instance: {', '.join(map(str, served))}")
        print(f"beats: {', '.join(scheduled) or 'none'} scheduled; stood by: {', '.join(stood_by)}")
        summary = {
            "instances": args.instances,
            "requests": total,
            "errors": errors,
            "server_errors": fives + tracebacks,
            **counts,
            "beats_scheduling": len(scheduled),
            "beats_standing_by": len(stood_by),
            "failed_checks": len(problems),
        }
        print("\n".join(f"{name}={value}" for name, value in summary.items()))
        for problem in problems:
            print(f"FAILED: {problem}")
        failed = bool(errors or problems)
        return 1 if failed else 0
    finally:
        for process in reversed(processes):
            process.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        if failed or args.keep:
            log(f"kept the database {args.database_url} and the logs in {workdir}")
        else:
            drop_database(args.database_url)
            redis.flushdb()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
