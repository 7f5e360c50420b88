"""The queue's "anything new since" check (issue 13, item 4): static/js/queue.js asks
every few seconds with ?partial=1&since=<the version it shows>; nothing new is a 204
with nothing rendered, a change is the results region with its new version."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts import selectors
from alerts.services import flagging
from alerts.services.triage import acknowledge_flag, resolve_flag
from patients.models import Flag

from ..conftest import login
from ..factories import PatientFactory, TreatmentFactory, make_check_in, make_flag

QUEUE = reverse("alerts:queue")


def flag(patient, symptom="stools_per_day", urgency="red", *, hours_ago=1):
    at = timezone.now() - timedelta(hours=hours_ago)
    return make_flag(make_check_in(patient, at=at), symptom, urgency, created_at=at)


def version_shown(client) -> str:
    """The version the page shows, as queue.js reads it (data-queue-version)."""
    page = client.get(QUEUE)
    return page.context["version"]


def check(client, since, **params):
    return client.get(QUEUE, {"partial": "1", "since": since, **params})


def test_nothing_new_is_a_204_with_nothing_rendered(nurse_client, patient):
    flag(patient)
    version = version_shown(nurse_client)

    response = check(nurse_client, version)

    assert response.status_code == 204
    assert response.content == b""
    assert response.templates == []
    assert response["X-Queue-Results"] == "1"  # queue.js: still logged in, not a login page
    assert response["X-Queue-Version"] == version
    assert response["Cache-Control"] == "no-store"


def test_the_page_and_the_partial_carry_the_version_queue_js_sends_back(nurse_client, patient):
    flag(patient)

    page = nurse_client.get(QUEUE)
    partial = nurse_client.get(QUEUE, {"partial": "1"})

    version = page.context["version"]
    assert f'data-queue-version="{version}"' in page.text
    assert f'data-queue-version="{version}"' in partial.text
    assert partial["X-Queue-Version"] == version


def test_a_new_red_changes_the_version_and_the_check_brings_its_row(nurse_client, patient):
    flag(patient, "rash", "amber")
    version = version_shown(nurse_client)

    # The worker's job: a red check-in, its flags written by the flagging service.
    check_in = make_check_in(patient, stools_per_day=9)
    flagging.flag_check_in(check_in.pk)
    red = Flag.objects.get(check_in=check_in)
    response = check(nurse_client, version)

    assert red.urgency == "red"
    assert response.status_code == 200
    assert response.templates[0].name == "alerts/_queue_results.html"
    assert f'data-flag-id="{red.pk}"' in response.text
    assert response["X-Queue-Version"] != version
    assert check(nurse_client, response["X-Queue-Version"]).status_code == 204


def test_another_teams_red_does_not_change_the_version(
    client, nurse, patient, other_patient, other_nurse
):
    flag(patient)
    login(client, nurse)
    version = version_shown(client)

    flag(other_patient, "chest_pain", "emergency")

    assert check(client, version).status_code == 204
    login(client, other_nurse)
    assert version_shown(client) != version  # it is theirs


@pytest.mark.parametrize("change", ["joined", "acknowledged", "resolved"])
def test_every_change_a_row_shows_changes_the_version(nurse, nurse_client, patient, change):
    first = flag(patient, hours_ago=2)
    version = version_shown(nurse_client)

    if change == "joined":  # the same red again: no new episode, a newer latest check-in
        flag(patient, hours_ago=1)
    elif change == "acknowledged":
        acknowledge_flag(first, nurse)
    else:
        resolve_flag(first, nurse, note="Phoned: settled")

    assert check(nurse_client, version).status_code == 200


def test_a_since_that_is_not_the_version_gets_the_region(nurse_client, patient):
    red = flag(patient)

    for since in ("", "nonsense", "0.0.0"):
        response = check(nurse_client, since)
        assert response.status_code == 200, since
        assert f'data-flag-id="{red.pk}"' in response.text


def test_the_version_is_two_queries_whatever_the_history(nurse, team, patient):
    for n in range(3):
        flag(patient, "rash", "amber", hours_ago=n + 1)
    with CaptureQueriesContext(connection) as few:
        selectors.queue_version(nurse)
    for n in range(20):
        someone = PatientFactory(care_team=team)
        TreatmentFactory(patient=someone)
        flag(someone, "cough", "red", hours_ago=n + 1)
    with CaptureQueriesContext(connection) as many:
        selectors.queue_version(nurse)

    assert len(few) == len(many) == 2  # the nurse's teams, then one aggregate
    assert "COUNT" in many[-1]["sql"].upper() and "MAX" in many[-1]["sql"].upper()


def test_the_check_costs_the_same_few_queries_however_long_the_queue(nurse_client, team, patient):
    flag(patient)
    version = version_shown(nurse_client)
    check(nurse_client, version)  # the session's first request may do more
    with CaptureQueriesContext(connection) as few:
        assert check(nurse_client, version).status_code == 204

    for n in range(20):
        someone = PatientFactory(care_team=team)
        TreatmentFactory(patient=someone)
        flag(someone, "cough", "red", hours_ago=n + 1)
    version = version_shown(nurse_client)
    with CaptureQueriesContext(connection) as many:
        assert check(nurse_client, version).status_code == 204

    # The session, the user, the second factor, the access check, then the version:
    # the rows, counts and filter form are never read.
    assert len(few) == len(many) <= 6
    assert not any('"patients_flag"' in q["sql"] for q in many.captured_queries)


def test_the_check_is_not_activity_for_the_idle_timeout(nurse_client, patient):
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        version = version_shown(nurse_client)
        for _ in range(14):  # every 3 s... here every minute, for 14 minutes
            clock.shift(timedelta(minutes=1))
            assert check(nurse_client, version).status_code == 204

        clock.shift(timedelta(minutes=2))  # 16 minutes after the nurse last did anything
        response = check(nurse_client, version)

    assert response.status_code == 401  # queue.js reloads, to the login page
    assert "X-Queue-Results" not in response
