"""Fault 4: the database connection is dropped (a PostgreSQL restart, a failover, an
idle-connection reaper). The app must recover without a restart.

The connections are terminated from outside, with pg_terminate_backend on a
connection of the test's own, picked out by the application_name each of our
processes sets (PGAPPNAME); nobody else's connections are touched.

- The web app runs under gunicorn (sync worker, DB_CONN_MAX_AGE=600), as in
  production: a persistent connection that outlives a request is what a drop
  breaks. Django's test client and live_server cannot show this: the test client
  disconnects close_old_connections (the health check) and live_server closes
  every connection after each request.
- The Celery worker closes its connections before and after every task (Celery's
  Django fixup), so between tasks it holds none: a drop can only hit it inside a
  task. The tests drop it mid-delivery, while the fake SMS provider holds the
  request: the claim and the attempt row are written, the outcome is not.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import DeliveryAttempt, Notification
from alerts.services import sweep
from patients.models import CheckIn

from .conftest import (
    Browser,
    backends,
    check_in_form,
    emails_by_notification,
    logged_in,
    london_team,
    make_patient,
    queue_drained,
    submit,
    terminate_backends,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def drop_connections(app_name: str) -> int:
    """Terminate every connection of one of our processes; wait until they are gone."""
    dropped = terminate_backends(app_name)
    wait_for(lambda: not backends(app_name), timeout=10, what=f"{app_name}'s connections to go")
    return dropped


def test_the_web_app_answers_the_next_requests_after_its_connection_is_killed(
    web_server, redis_server
):
    patient = make_patient(london_team())
    session = Client()
    session.force_login(patient.user)
    browser = Browser(web_server.port, {"sessionid": session.cookies["sessionid"].value})

    assert browser.get(reverse("patients:home")).status == 200
    # The sync worker keeps its connection between requests (CONN_MAX_AGE).
    assert len(backends(web_server.app_name)) == 1
    assert drop_connections(web_server.app_name) == 1

    form_page = browser.get(reverse("patients:check_in"))
    assert form_page.status == 200, form_page.text[:2000]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text).group(1)
    assert len(backends(web_server.app_name)) == 1  # a new connection, in the same process

    assert drop_connections(web_server.app_name) == 1  # and again, just before the POST
    sent = browser.post(
        reverse("patients:check_in"),
        {"csrfmiddlewaretoken": csrf, **check_in_form(stools_per_day=9)},
    )
    assert sent.status == 302, sent.text[:2000]
    check_in = CheckIn.objects.get(patient=patient)
    assert sent.location == reverse("patients:check_in_result", args=[check_in.pk])
    advice = browser.get(sent.location)
    assert advice.status == 200 and "Urgent: phone now" in advice.text
    assert check_in.urgency == "red"

    # One gunicorn worker served all of it: nothing was restarted.
    assert web_server.alive() and len(web_server.worker_boots()) == 1
    assert " 500 " not in web_server.log_text()


def _drop_mid_delivery(start_worker, provider):
    """A red check-in; the worker's connection is killed while the provider holds its SMS."""
    team = london_team()
    patient = make_patient(team)
    worker = start_worker()
    hold = provider.hold("/sms")
    response, _ = submit(logged_in(patient), check_in_form(stools_per_day=9))
    assert response.status_code == 200
    hold.wait_until_held(logs=[worker])
    sms = Notification.objects.get(channel="sms")
    assert sms.status == "sending"
    assert drop_connections(worker.app_name) >= 1  # the worker was holding one, mid-task
    hold.release()  # the provider accepts the SMS and replies 201
    return team, patient, worker, sms


def test_the_worker_carries_on_after_its_connection_is_killed_mid_delivery(
    redis_server, start_worker, provider, mail_dir
):
    """The same worker process, never restarted, delivers the alert's other channel
    and the next patient's alert."""
    team, patient, worker, _ = _drop_mid_delivery(start_worker, provider)
    pid = worker.pid

    email = Notification.objects.get(alert__check_in__patient=patient, channel="email")
    wait_for(lambda: _status(email) == "sent", what="the email", logs=[worker])

    another = make_patient(team)
    submit(logged_in(another), check_in_form(stools_per_day=9))
    later = Notification.objects.filter(alert__check_in__patient=another)
    wait_for(
        lambda: (
            sorted(later.all().values_list("channel", "status"))
            == [("email", "sent"), ("sms", "sent")]
        ),
        what="the next alert",
        logs=[worker],
    )
    assert worker.alive() and worker.pid == pid
    assert worker.log_text().count("ready.") == 1
    sms = later.get(channel="sms")
    assert [r.notification_id for r in provider.accepted("/sms")][-1] == sms.pk
    assert emails_by_notification(mail_dir) == {email.pk: 1, later.get(channel="email").pk: 1}


def test_a_delivery_whose_connection_dropped_after_the_send_is_recorded_once(
    redis_server, start_worker, provider
):
    """The provider accepted the SMS, and the worker, alive, knows it: the outcome must
    be recorded (reconnecting), not lost. Otherwise the row stays 'sending', the
    sweep takes it for a dead worker ten minutes later, and the patient's care team
    gets the same SMS twice though no process died."""
    _, _, worker, sms = _drop_mid_delivery(start_worker, provider)

    wait_for(lambda: queue_drained(redis_server), what="the worker to finish", logs=[worker])
    sms.refresh_from_db()
    attempts = list(DeliveryAttempt.objects.filter(notification=sms))
    record = (sms.status, sms.attempts, [(a.ok, a.error) for a in attempts])
    assert record == ("sent", 1, [(True, "")]), (
        f"the accepted SMS is recorded as {record}\n{_errors(worker)}"
    )

    # Beat's sweep, long after: nothing is owed, nothing is sent again.
    sweep.send_due_notifications(now=timezone.now() + timedelta(minutes=30))
    wait_for(lambda: queue_drained(redis_server), what="the worker to finish", logs=[worker])
    assert [r.notification_id for r in provider.accepted("/sms")] == [sms.pk]


def _status(notification) -> str:
    notification.refresh_from_db()
    return notification.status


def _errors(worker) -> str:
    lines = worker.log_text().splitlines()
    return "\n".join(
        line for line in lines if re.search(r"Error|Retry|retry|succeeded|raised", line)
    )[-3000:]
