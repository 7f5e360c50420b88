"""Settings fail loudly, and the Celery settings that keep alerts safe are really set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from symptom_tracker.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env):
    clean = {**start_env(), **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = start_django()

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_starts_with_a_secret_key_and_debug_off():
    result = start_django(SECRET_KEY="x" * 50)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_it_refuses_a_debug_value_that_is_not_yes_or_no():
    result = start_django(SECRET_KEY="x" * 50, DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a yes/no value" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT,
        env={**start_env(), "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr


def start_env():
    unset = ("SECRET_KEY", "DEBUG", "SITE_URL", "WEB_PORT")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(ENV_FILE="/dev/null", DJANGO_SETTINGS_MODULE="symptom_tracker.settings")
    return env


def test_the_celery_settings_that_keep_alerts_safe_are_set():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_default_queue == "alerts"
    assert conf.task_serializer == "json"
    assert conf.broker_url == settings.CELERY_BROKER_URL


def test_beat_runs_escalation_and_the_outbox_sweep_every_minute():
    celery_app.loader.import_default_modules()
    schedule = celery_app.conf.beat_schedule
    tasks = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert tasks == {
        "alerts.tasks.escalate_overdue_alerts": 60.0,
        "alerts.tasks.send_due_notifications": 60.0,
        "patients.tasks.send_due_reminders": 300.0,
        "alerts.tasks.refresh_team_figures": 300.0,
        "fhir.tasks.delete_expired_exports": 600.0,
    }
    for name in tasks:
        assert name in celery_app.tasks


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [("", "filesystem://localhost//"), ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3")],
)
def test_it_uses_redis_when_given_and_an_embedded_broker_otherwise(redis_url, expected):
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"
    env = {**start_env(), "SECRET_KEY": "x" * 50, "REDIS_URL": redis_url}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == expected, result.stderr


def test_the_sign_in_middleware_runs_in_the_order_it_needs():
    """OTP after authentication; the idle timeout and the second factor after the
    messages (both may log out or redirect with a message); django-axes last."""
    order = settings.MIDDLEWARE
    position = order.index
    assert position("django_otp.middleware.OTPMiddleware") > position(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    messages = position("django.contrib.messages.middleware.MessageMiddleware")
    idle = position("accounts.middleware.StaffIdleTimeoutMiddleware")
    second = position("accounts.two_factor.SecondFactorMiddleware")
    assert messages < idle < second
    assert position("django_otp.middleware.OTPMiddleware") < second
    assert order[-1] == "axes.middleware.AxesMiddleware"
    assert "csp.middleware.CSPMiddleware" in order


def settings_value(code: str, **env) -> str:
    """What `code` prints in a fresh process started with these variables (no .env)."""
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**start_env(), "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_links_follow_the_port_the_app_is_served_on():
    site_url = "from django.conf import settings; print(settings.SITE_URL)"

    assert settings_value(site_url) == "http://127.0.0.1:8000"
    assert settings_value(site_url, WEB_PORT="8100") == "http://127.0.0.1:8100"
    named = {"WEB_PORT": "8100", "SITE_URL": "https://tracker.example.org/"}
    assert settings_value(site_url, **named) == "https://tracker.example.org"


def test_an_alerts_acknowledge_link_uses_the_web_port():
    code = "from alerts.messages import ack_url; print(ack_url(42))"

    assert settings_value(code, WEB_PORT="8100").startswith("http://127.0.0.1:8100/triage/ack/42:")
