"""GET /health/: can this deployment do its work? For a load balancer or a monitor.

    {"database": "ok", "broker": "ok",
     "beat": {"last_run": "2026-11-22T01:30:00+00:00", "age_seconds": 12, "ok": true},
     "status": "ok"}

HTTP 200 when all three are well, 503 otherwise.

- database: a trivial query on the default database.
- broker: a fresh connection to Celery's broker (Redis with REDIS_URL, else the
  filesystem transport), given up after about BROKER_TIMEOUT seconds.
- beat: the periodic alert tasks (escalation, the outbox sweep) record a
  Heartbeat row each time they run to the end (alerts.tasks); `last_run` is the
  least recent of them, null while one has never run. Older than
  BEAT_STALE_AFTER, or missing, is not ok: beat, the broker or every worker is
  down, and no alert is escalating.

No login. It names no patient and shows no error text (that goes to the log).
Two queries. Every failure is caught and reported, so it never answers 500.
"""

import logging
import os
from datetime import timedelta

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from alerts.models import Heartbeat

from .celery import app

log = logging.getLogger(__name__)

OK, ERROR = "ok", "error"
# Beat queues both every 60 s (settings.CELERY_BEAT_SCHEDULE): 5 minutes is several missed runs.
BEAT_TASKS = ("alerts.tasks.escalate_overdue_alerts", "alerts.tasks.send_due_notifications")
BEAT_STALE_AFTER = timedelta(minutes=5)
# Seconds to wait for the broker to connect, and then to answer.
BROKER_TIMEOUT = 2.0


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        log.warning("health: database check failed: %s", exc)
        return ERROR
    return OK


def check_broker() -> str:
    try:
        conn = app.connection_for_write(
            connect_timeout=BROKER_TIMEOUT,
            transport_options={
                "socket_connect_timeout": BROKER_TIMEOUT,
                "socket_timeout": BROKER_TIMEOUT,
                "retry_on_timeout": False,
            },
        )
        try:
            # Connecting opens a channel; kombu's Redis channel PINGs the server.
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT
            )
            if conn.transport.driver_type == "filesystem" and not _folders_writable(conn):
                return ERROR
        finally:
            conn.release()
    except Exception as exc:
        log.warning("health: broker check failed: %s", exc)
        return ERROR
    return OK


def _folders_writable(conn) -> bool:
    """The filesystem transport 'connects' to anything: its folders must be usable."""
    options = conn.transport_options
    folders = [options.get(k) for k in ("data_folder_in", "data_folder_out", "control_folder")]
    return all(os.path.isdir(f) and os.access(f, os.W_OK) for f in folders if f)


def check_beat(now) -> dict:
    try:
        runs = dict(
            Heartbeat.objects.filter(name__in=BEAT_TASKS).values_list("name", "last_run_at")
        )
    except Exception as exc:
        log.warning("health: heartbeat check failed: %s", exc)
        runs = {}
    if len(runs) < len(BEAT_TASKS):
        return {"last_run": None, "age_seconds": None, "ok": False}
    last_run = min(runs.values())
    age = max(now - last_run, timedelta(0))
    return {
        "last_run": last_run.isoformat(),
        "age_seconds": int(age.total_seconds()),
        "ok": age <= BEAT_STALE_AFTER,
    }


@never_cache
@require_safe
def health(request):
    try:
        report = {
            "database": check_database(),
            "broker": check_broker(),
            "beat": check_beat(timezone.now()),
        }
        healthy = report["database"] == OK and report["broker"] == OK and report["beat"]["ok"]
    except Exception:  # a bug above must still answer, and say so
        log.exception("health: the check itself failed")
        report, healthy = {"database": ERROR, "broker": ERROR, "beat": None}, False
    report["status"] = "ok" if healthy else "fail"
    return JsonResponse(report, status=200 if healthy else 503)


# Included from symptom_tracker/urls.py as path("health/", include("symptom_tracker.health")).
urlpatterns = [path("", health, name="health")]
