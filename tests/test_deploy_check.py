"""Production settings pass Django's deployment checklist, warnings included."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a deployment sets and a developer's machine may have set otherwise.
UNSET = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "STAFF_IDLE_TIMEOUT_SECONDS",
)


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(
        ENV_FILE="/dev/null",  # not the developer's .env (DEBUG=1)
        DJANGO_SETTINGS_MODULE="symptom_tracker.settings",
        SECRET_KEY=secrets.token_urlsafe(50),  # 67 random characters
        ALLOWED_HOSTS="tracker.example.org",
        **extra,
    )
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_fails_with_debug_on():
    """The test above would notice a weakened setting: DEBUG is one of them."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DEBUG="1"))

    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_production_cookies_and_https():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.X_FRAME_OPTIONS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == ["True", "True", "True", "True", "31536000", "True", "DENY"]
