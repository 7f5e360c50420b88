"""`make run`'s embedded stack with no services: SQLite and kombu's filesystem broker.

A real worker process picks up what the demo data and a new check-in queue,
so the whole loop runs on a bare machine.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Worker, wait_for

ROOT = Path(__file__).resolve().parents[2]

CHECK_IN = """
from patients.models import Patient
from patients.services.check_ins import record_check_in
alice = Patient.objects.get(user__username="alice")
check_in, evaluation, _ = record_check_in(
    patient=alice, answers={"stools_per_day": 9}, entered_by="patient", user=alice.user
)
print(check_in.pk, evaluation.urgency)
"""

COUNT = """
from patients.models import Flag
from alerts.models import Notification
print(Flag.objects.filter(check_in_id={pk}).count(),
      Notification.objects.filter(alert__check_in_id={pk}, status="sent").count())
"""


ALL_SENT = """
from alerts.models import Notification
print(Notification.objects.exclude(status="sent").count())
"""

SENT = """
from alerts.models import Notification
sent = Notification.objects.filter(status="sent", attempts=1)
print(sent.filter(channel="sms").count(), sent.filter(channel="email").count())
"""


def emails_written(folder: Path) -> int:
    """Messages in the file email backend's folder. Count messages, not files: two
    connections opened in the same second can share a file name (a timestamp and the
    id() of a backend object, which Python reuses), and then append to one file."""
    separator = "-" * 79
    return sum(path.read_text().splitlines().count(separator) for path in folder.glob("*.log"))


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="x" * 50,
        ENV_FILE="/dev/null",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        SMS_FILE=str(tmp_path / "sms.log"),
    )
    return env


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def shell(env, code) -> list[str]:
    """Run code in `manage.py shell`; the words of the last line it printed."""
    return manage(env, "shell", "--verbosity", "0", "-c", code).strip().splitlines()[-1].split()


def test_the_embedded_worker_delivers_demo_and_new_alerts(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--no-input")
    assert "Demo logins" in manage(embedded_env, "seed_demo")
    assert "already loaded" in manage(embedded_env, "seed_demo")  # idempotent
    pk, urgency = shell(embedded_env, CHECK_IN)
    assert urgency == "red"

    worker = Worker(embedded_env, tmp_path / "worker.log")
    try:
        worker.wait_until_ready()

        def both_delivered():
            return shell(embedded_env, COUNT.format(pk=pk)) == ["1", "2"]

        wait_for(both_delivered, timeout=60, what="the new check-in's flag and notifications")
        # The demo's own alerts (queued by seed_demo before any worker ran) went out too.
        wait_for(lambda: shell(embedded_env, ALL_SENT) == ["0"], timeout=60, what="all sent")
        sent = shell(embedded_env, SENT)
        sms = (tmp_path / "sms.log").read_text().splitlines()
        assert [str(len(sms)), str(emails_written(tmp_path / "mail"))] == sent  # once each
    finally:
        worker.stop()
