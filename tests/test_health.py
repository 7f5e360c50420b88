"""GET /health/: the database, the broker and beat's heartbeat, 200 or 503, never 500."""

import socket
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from alerts import tasks
from alerts.models import Heartbeat
from symptom_tracker import health
from symptom_tracker.celery import app as celery_app

from .conftest import skip_or_fail

URL = "/health/"


@pytest.fixture
def broker_at():
    """Point this process's Celery app at another broker for one test."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options

    def point(url, options=None):
        conf.broker_url, conf.broker_transport_options = url, options or {}

    yield point
    conf.broker_url, conf.broker_transport_options = saved


@pytest.fixture
def filesystem_broker(broker_at, tmp_path):
    """kombu's filesystem transport in a temporary folder: a broker that is up."""
    folders = {}
    for option, name in (
        ("data_folder_in", "queue"),
        ("data_folder_out", "queue"),
        ("control_folder", "control"),
    ):
        (tmp_path / name).mkdir(exist_ok=True)
        folders[option] = str(tmp_path / name)
    broker_at("filesystem://localhost//", folders)
    return tmp_path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def beat_ran(ago=timedelta(0)):
    for name in health.BEAT_TASKS:
        Heartbeat.beat(name, now=timezone.now() - ago)


def get(client):
    response = client.get(URL)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response, response.json()


@pytest.mark.django_db
def test_all_well_is_200_with_the_three_checks_and_nothing_else(client, filesystem_broker):
    beat_ran(ago=timedelta(seconds=30))

    response, body = get(client)  # no login

    assert response.status_code == 200
    assert body["database"] == "ok" and body["broker"] == "ok" and body["status"] == "ok"
    assert body["beat"]["ok"] is True
    assert 29 <= body["beat"]["age_seconds"] <= 40
    assert set(body) == {"database", "broker", "beat", "status"}
    assert set(body["beat"]) == {"last_run", "age_seconds", "ok"}


@pytest.mark.django_db
def test_the_beat_tasks_themselves_record_the_heartbeat(client, filesystem_broker):
    """What beat runs every minute is what the endpoint reads (the names agree)."""
    assert get(client)[1]["beat"] == {"last_run": None, "age_seconds": None, "ok": False}

    tasks.escalate_overdue_alerts()
    tasks.send_due_notifications()

    response, body = get(client)
    assert response.status_code == 200, body
    assert body["beat"]["ok"] is True and body["beat"]["age_seconds"] < 60


@pytest.mark.django_db
def test_the_heartbeat_is_one_row_per_task_updated_in_place():
    earlier = timezone.now() - timedelta(minutes=3)
    Heartbeat.beat("alerts.tasks.escalate_overdue_alerts", now=earlier)
    Heartbeat.beat("alerts.tasks.escalate_overdue_alerts")

    row = Heartbeat.objects.get()
    assert row.last_run_at > earlier


@pytest.mark.django_db
def test_a_broker_that_refuses_connections_is_503_within_two_seconds(client, broker_at):
    beat_ran()
    broker_at(f"redis://127.0.0.1:{closed_port()}/0")

    started = time.monotonic()
    response, body = get(client)

    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert body["broker"] == "error" and body["database"] == "ok" and body["status"] == "fail"


@pytest.mark.django_db
def test_a_broker_that_never_answers_is_503_after_the_timeout(client, broker_at):
    """A Redis port that accepts the connection and then says nothing (a hung server)."""
    beat_ran()
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        broker_at(f"redis://127.0.0.1:{hung.getsockname()[1]}/0")

        started = time.monotonic()
        response, body = get(client)
        took = time.monotonic() - started

    assert response.status_code == 503 and body["broker"] == "error"
    assert health.BROKER_TIMEOUT - 0.5 < took < health.BROKER_TIMEOUT + 1.5


@pytest.mark.django_db
def test_a_filesystem_broker_whose_folder_is_gone_is_an_error(client, filesystem_broker):
    beat_ran()
    (filesystem_broker / "control").rmdir()

    response, body = get(client)

    assert response.status_code == 503 and body["broker"] == "error"


@pytest.mark.django_db
def test_the_configured_redis_answers(client):
    """With REDIS_URL set (CI), the real broker of the settings."""
    from django.conf import settings

    if not settings.REDIS_URL:
        skip_or_fail("this test needs Redis: set REDIS_URL=redis://...")
    assert health.check_broker() == "ok"


@pytest.mark.django_db
def test_a_stale_heartbeat_is_503(client, filesystem_broker):
    beat_ran(ago=health.BEAT_STALE_AFTER + timedelta(seconds=30))

    response, body = get(client)

    assert response.status_code == 503
    assert body["beat"]["ok"] is False and body["beat"]["age_seconds"] >= 330
    assert body["database"] == "ok" and body["broker"] == "ok" and body["status"] == "fail"


@pytest.mark.django_db
def test_the_oldest_of_the_periodic_tasks_counts(client, filesystem_broker):
    """The sweep stuck while escalation runs is still a fault."""
    now = timezone.now()
    Heartbeat.beat(health.BEAT_TASKS[0], now=now)
    Heartbeat.beat(health.BEAT_TASKS[1], now=now - timedelta(minutes=6))

    response, body = get(client)

    assert response.status_code == 503
    assert body["beat"]["last_run"] == (now - timedelta(minutes=6)).isoformat()


@pytest.mark.django_db
def test_no_heartbeat_yet_is_not_ok(client, filesystem_broker):
    response, body = get(client)

    assert response.status_code == 503
    assert body["beat"] == {"last_run": None, "age_seconds": None, "ok": False}


@pytest.mark.django_db
def test_two_queries_however_many_rows(client, filesystem_broker, django_assert_num_queries):
    beat_ran()
    Heartbeat.beat("patients.tasks.send_due_reminders")

    with django_assert_num_queries(2):  # SELECT 1, and the heartbeats
        response = client.get(URL)
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_database_that_is_down_is_503_not_500(client, filesystem_broker):
    with mock.patch.object(
        type(connections["default"]),
        "cursor",
        side_effect=OperationalError("server closed the connection"),
    ):
        response, body = get(client)

    assert response.status_code == 503
    assert body["database"] == "error" and body["beat"]["ok"] is False
    assert "server closed" not in response.content.decode()  # no error text


@pytest.mark.django_db
def test_a_bug_in_a_check_is_503_not_500(client, filesystem_broker):
    with mock.patch.object(health, "check_beat", side_effect=RuntimeError("oops")):
        response, body = get(client)

    assert response.status_code == 503 and body["status"] == "fail"


@pytest.mark.django_db
def test_it_shows_no_patient_data(client, filesystem_broker, patient):
    beat_ran()

    response = client.get(URL)

    text = response.content.decode()
    assert patient.user.username not in text and patient.hospital_number not in text
    assert response.status_code == 200


def test_only_get_and_head(client):
    assert client.post(URL).status_code in (403, 405)  # CSRF, or the method
    assert client.put(URL).status_code == 405
