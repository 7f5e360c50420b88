"""Clinicians and admins are logged out after STAFF_IDLE_TIMEOUT_SECONDS (15 minutes)
without activity; the triage queue's background refresh is not activity. Patients
keep the usual session."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
QUEUE = reverse("alerts:queue")
LOGIN = reverse("login")


def minutes(n):
    return timedelta(minutes=n)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_the_timeout_is_15_minutes_by_default(settings):
    assert settings.STAFF_IDLE_TIMEOUT_SECONDS == 15 * 60


def test_a_nurse_who_keeps_working_stays_logged_in(nurse_client, clock):
    for _ in range(6):
        assert nurse_client.get(QUEUE).status_code == 200
        clock.shift(minutes(14))

    assert nurse_client.get(QUEUE).status_code == 200


def test_a_nurse_idle_for_more_than_15_minutes_is_logged_out(nurse_client, clock, patient):
    timeline = reverse("alerts:patient", args=[patient.pk])
    assert nurse_client.get(timeline).status_code == 200
    clock.shift(minutes(15) + timedelta(seconds=1))

    response = nurse_client.get(timeline)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={timeline}"
    page = nurse_client.get(response["Location"])
    assert "You were logged out after 15 minutes without activity" in page.text
    # Logged out for good, not only redirected once.
    assert nurse_client.get(QUEUE)["Location"].startswith(LOGIN)


def test_exactly_15_minutes_is_still_in_time(nurse_client, clock):
    nurse_client.get(QUEUE)
    clock.shift(minutes(15))

    assert nurse_client.get(QUEUE).status_code == 200


def test_the_queues_background_refresh_does_not_count_as_activity(nurse_client, clock):
    assert nurse_client.get(QUEUE).status_code == 200
    for _ in range(7):  # every 30 s... here every 2 minutes, for 14 minutes
        clock.shift(minutes(2))
        refreshed = nurse_client.get(QUEUE, {"partial": "1"})
        assert refreshed.status_code == 200
        assert refreshed["X-Queue-Results"] == "1"

    clock.shift(minutes(2))  # 16 minutes after the nurse last did anything
    refreshed = nurse_client.get(QUEUE, {"partial": "1"})

    # queue.js reloads the page on an answer that is not the queue's results.
    assert refreshed.status_code == 401
    assert refreshed["X-Session-Ended"] == "1"
    assert "X-Queue-Results" not in refreshed
    reloaded = nurse_client.get(QUEUE)
    assert reloaded.status_code == 302
    assert reloaded["Location"] == f"{LOGIN}?next=/triage/"
    assert "You were logged out after 15 minutes" in nurse_client.get(reloaded["Location"]).text


def test_a_real_page_after_refreshes_still_counts(nurse_client, clock):
    nurse_client.get(QUEUE)
    clock.shift(minutes(10))
    nurse_client.get(QUEUE, {"partial": "1"})
    clock.shift(minutes(4))
    assert nurse_client.get(QUEUE, {"status": "resolved"}).status_code == 200  # activity
    clock.shift(minutes(14))

    assert nurse_client.get(QUEUE, {"partial": "1"}).status_code == 200


def test_an_admin_times_out_too(admin_client_, clock):
    assert admin_client_.get("/admin/").status_code == 200
    clock.shift(minutes(16))

    response = admin_client_.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_post_after_the_timeout_does_nothing(nurse_client, clock, patient):
    from alerts.services import flagging
    from patients.models import Flag

    from ..factories import make_check_in

    check_in = make_check_in(patient, stools_per_day=9)
    flagging.flag_check_in(check_in.pk)
    flag = Flag.objects.get(symptom="stools_per_day")
    nurse_client.get(QUEUE)
    clock.shift(minutes(20))

    response = nurse_client.post(reverse("alerts:acknowledge", args=[flag.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    flag.refresh_from_db()
    assert flag.status == "open"


def test_a_patient_keeps_the_usual_session(patient_client, clock):
    assert patient_client.get(reverse("patients:home")).status_code == 200
    clock.shift(timedelta(hours=8))

    assert patient_client.get(reverse("patients:home")).status_code == 200
    assert "last_activity" not in patient_client.session


def test_a_carer_keeps_the_usual_session(client, carer, clock):
    from ..conftest import login

    login(client, carer)
    assert client.get(reverse("patients:contacts")).status_code == 200
    clock.shift(timedelta(hours=3))

    assert client.get(reverse("patients:contacts")).status_code == 200


def test_the_timeout_is_a_setting(nurse_client, clock, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 60
    nurse_client.get(QUEUE)
    clock.shift(timedelta(seconds=61))

    assert nurse_client.get(QUEUE).status_code == 302


def test_zero_turns_it_off(nurse_client, clock, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 0
    nurse_client.get(QUEUE)
    clock.shift(timedelta(hours=5))

    assert nurse_client.get(QUEUE).status_code == 200


def test_the_setting_is_read_from_the_environment():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = "from django.conf import settings; print(settings.STAFF_IDLE_TIMEOUT_SECONDS)"
    env = {
        **os.environ,
        "ENV_FILE": "/dev/null",
        "SECRET_KEY": "x" * 50,
        "STAFF_IDLE_TIMEOUT_SECONDS": "600",
        "DJANGO_SETTINGS_MODULE": "symptom_tracker.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "600", result.stderr


def test_the_login_page_after_the_timeout_is_the_login_page(nurse_client, clock):
    nurse_client.get(QUEUE)
    clock.shift(minutes(30))

    response = nurse_client.get(LOGIN)

    assert response.status_code == 200
    assert "You were logged out after 15 minutes" in response.text
    assert nurse_client.get(QUEUE)["Location"].startswith(LOGIN)


def test_logging_out_after_the_timeout_logs_out(nurse_client, clock):
    nurse_client.get(QUEUE)
    clock.shift(minutes(30))

    response = nurse_client.post(reverse("logout"))

    assert response["Location"] == LOGIN


IDLE_SCRIPT = 'src="/static/js/idle.js" data-timeout-seconds="900"'


def test_a_staff_page_leaves_the_screen_by_itself_after_the_timeout(nurse_client, patient):
    """A page left open reloads itself after the timeout (static/js/idle.js), and the
    reload logs out; proven in the browser by tests/browser/test_idle.py."""
    assert IDLE_SCRIPT in nurse_client.get(reverse("alerts:patient", args=[patient.pk])).text
    assert IDLE_SCRIPT in nurse_client.get(QUEUE).text


def test_the_admin_leaves_the_screen_too(admin_client_):
    assert IDLE_SCRIPT in admin_client_.get(reverse("admin:index")).text


def test_patients_pages_do_not_time_out(patient_client, settings):
    assert "idle.js" not in patient_client.get(reverse("patients:check_ins")).text
    assert "idle.js" not in patient_client.get(reverse("login")).text


def test_no_script_when_the_timeout_is_off(nurse_client, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 0
    assert "idle.js" not in nurse_client.get(QUEUE).text
