"""Fault 3: the SMS provider fails.

- 5xx, then recovery: each failure is recorded and retried after a longer wait
  (30 s, 2 min, 10 min: delivery.DELIVERY_BACKOFF), until it is delivered.
- A permanent 4xx (an invalid number): not retried; the channel is marked broken
  and the alert goes on over the next working channel, here the next contact in
  the chain, whose SMS and email carry it; later alerts skip the broken channel.

Every attempt is made by a real worker through the real HTTP client to the fake
provider. To avoid waiting real minutes between retries, the test moves a failed
notification's due time back to now (after reading the schedule the worker wrote)
and lets beat's sweep queue it, as it would once the time came.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, DeliveryAttempt, Notification
from alerts.services import delivery, sweep
from patients.models import BrokenChannel, Contact

from .conftest import (
    check_in_form,
    emails_by_notification,
    logged_in,
    london_team,
    make_patient,
    submit,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

INVALID_NUMBER = "+447700900404"


def test_an_sms_provider_failing_with_5xx_is_retried_with_backoff_until_delivered(
    redis_server, start_worker, provider, mail_dir
):
    failures = [503, 502, 503]
    provider.answer = lambda received: failures.pop(0) if failures else 201
    worker = start_worker()
    patient = make_patient(london_team())

    response, _ = submit(logged_in(patient), check_in_form(stools_per_day=9))
    assert response.status_code == 200
    wait_for(
        lambda: Notification.objects.filter(channel="sms").exists(),
        what="the alert",
        logs=[worker],
    )
    sms = Notification.objects.get(channel="sms")

    waits = []
    for attempt_no in (1, 2, 3):

        def failed_and_rescheduled(attempt_no=attempt_no):
            sms.refresh_from_db()
            return sms.attempts == attempt_no and sms.status == "queued"

        wait_for(failed_and_rescheduled, what=f"failed attempt {attempt_no}", logs=[worker])
        attempt = DeliveryAttempt.objects.filter(notification=sms).last()
        assert attempt.ok is False and "SMS provider: HTTP 50" in attempt.error
        assert "HTTP 50" in sms.last_error
        waits.append((sms.not_before - attempt.started_at).total_seconds())
        assert sms.not_before > timezone.now()  # not due: nothing sends it early
        # Time passes (in the row only): due now, and handed to the broker long ago.
        now = timezone.now()
        Notification.objects.filter(pk=sms.pk).update(
            not_before=now - timedelta(seconds=1), queued_at=now - timedelta(hours=1)
        )
        sweep.send_due_notifications()  # beat's sweep queues it for the worker

    wait_for(lambda: _status(sms) == "sent", what="the SMS to be delivered", logs=[worker])

    assert waits == [30.0, 120.0, 600.0] == [float(s) for s in delivery.DELIVERY_BACKOFF[:3]]
    sms.refresh_from_db()
    assert sms.attempts == 4 and sms.sent_at is not None
    attempts = DeliveryAttempt.objects.filter(notification=sms)
    assert [a.ok for a in attempts] == [False, False, False, True]
    assert all(a.finished_at is not None for a in attempts)
    # At the edge: four tries of the same message, answered 503, 502, 503, 201.
    seen = provider.requests("/sms")
    assert [r.status for r in seen] == [503, 502, 503, 201]
    assert {r.notification_id for r in seen} == {sms.pk}
    assert {r.form["To"] for r in seen} == {sms.address}
    assert all(r.headers["authorization"].startswith("Basic ") for r in seen)
    # The email went at once, once; the SMS trouble did not hold it up.
    email = Notification.objects.get(channel="email")
    assert (email.status, email.attempts) == ("sent", 1)
    assert emails_by_notification(mail_dir) == {email.pk: 1}
    assert not BrokenChannel.objects.exists()


def _status(notification) -> str:
    notification.refresh_from_db()
    return notification.status


def test_a_permanent_4xx_marks_the_channel_broken_and_the_alert_falls_through(
    redis_server, start_worker, provider, mail_dir
):
    """The first contact's only alert channel is an SMS number the provider rejects
    (400, invalid 'To'): the alert goes at once to the next contact in the chain."""
    provider.answer = lambda received: 400 if received.form.get("To") == INVALID_NUMBER else 201
    team = london_team()
    first, following = team.contacts_by_role["line"], team.contacts_by_role["registrar"]
    # Make the 24-hour line the first contact for red, at any hour, with only the bad number.
    team.contacts.exclude(pk__in=[first.pk, following.pk]).update(active=False)
    Contact.objects.filter(pk=first.pk).update(sms_number=INVALID_NUMBER, email="")
    patient, another = make_patient(team), make_patient(team)
    worker = start_worker()

    response, _ = submit(logged_in(patient), check_in_form(stools_per_day=9))
    assert response.status_code == 200
    alert_rows = Notification.objects.filter(alert__check_in__patient=patient)
    wait_for(
        lambda: (
            list(alert_rows.filter(status="sent").values_list("contact", flat=True))
            == [following.pk, following.pk]
        ),
        what="the next contact's SMS and email",
        logs=[worker],
    )

    rejected = alert_rows.get(contact=first)
    assert (rejected.channel, rejected.status, rejected.attempts) == ("sms", "failed", 1)
    assert "HTTP 400" in rejected.last_error
    broken = BrokenChannel.objects.get()
    assert (broken.contact_id, broken.channel) == (first.pk, "sms")
    alert = Alert.objects.get(check_in__patient=patient)
    assert alert.contact_id == following.pk and alert.level == 1
    assert {n.level for n in alert_rows.filter(contact=following)} == {1}

    # A later alert routed to the same contact skips the broken number altogether.
    submit(logged_in(another), check_in_form(stools_per_day=9))
    later = Notification.objects.filter(alert__check_in__patient=another)
    wait_for(
        lambda: later.all().filter(status="sent").count() == 2,
        what="the second alert",
        logs=[worker],
    )
    assert set(later.values_list("contact", "channel")) == {
        (following.pk, "sms"),
        (following.pk, "email"),
    }

    # At the edge: the invalid number was tried exactly once, ever; no retry of a 4xx.
    seen = provider.requests("/sms")
    assert [r.status for r in seen if r.form["To"] == INVALID_NUMBER] == [400]
    assert sorted(r.notification_id for r in seen if r.accepted) == sorted(
        Notification.objects.filter(channel="sms", status="sent").values_list("pk", flat=True)
    )
    emails = Notification.objects.filter(channel="email")
    assert emails_by_notification(mail_dir) == dict.fromkeys(emails.values_list("pk", flat=True), 1)
    assert emails.count() == 2 and set(emails.values_list("address", flat=True)) == {
        following.email
    }
    assert not Notification.objects.exclude(status__in=["sent", "failed"]).exists()
    assert Notification.objects.filter(status="failed").count() == 1


def test_a_permanent_4xx_on_sms_leaves_the_alert_to_the_contacts_email(
    redis_server, start_worker, provider, mail_dir
):
    """A contact with an SMS number and an email is alerted on both at once; the SMS
    is refused for good, so the email carries the alert (it stays with that contact)
    and the contact's next alert goes by email alone."""
    provider.answer = lambda received: 400
    team = london_team()
    line = team.contacts_by_role["line"]
    # The weekday nurse off the list: the 24-hour line takes red at any hour of the run.
    team.contacts.filter(pk=team.contacts_by_role["nurse"].pk).update(active=False)
    patient, another = make_patient(team), make_patient(team)
    worker = start_worker()

    submit(logged_in(patient), check_in_form(stools_per_day=9))
    first_alert = Notification.objects.filter(alert__check_in__patient=patient)
    wait_for(
        lambda: (
            sorted(first_alert.all().values_list("channel", "status"))
            == [("email", "sent"), ("sms", "failed")]
        ),
        what="the email sent and the SMS failed",
        logs=[worker],
    )
    alert = Alert.objects.get(check_in__patient=patient)
    contact = alert.contact
    assert contact == line and alert.level == 0
    assert set(first_alert.values_list("contact", flat=True)) == {contact.pk}
    assert first_alert.get(channel="sms").attempts == 1
    assert list(BrokenChannel.objects.values_list("contact", "channel")) == [(contact.pk, "sms")]

    submit(logged_in(another), check_in_form(stools_per_day=9))
    wait_for(
        lambda: Notification.objects.filter(
            alert__check_in__patient=another, status="sent"
        ).exists(),
        what="the second alert",
        logs=[worker],
    )
    second = Alert.objects.get(check_in__patient=another)
    assert second.contact == line and second.level == 0
    assert list(second.notifications.values_list("channel", "status")) == [("email", "sent")]
    assert [r.status for r in provider.requests("/sms") if r.form["To"] == contact.sms_number] == [
        400
    ]
    emails = Notification.objects.filter(channel="email", status="sent")
    assert emails_by_notification(mail_dir) == dict.fromkeys(emails.values_list("pk", flat=True), 1)
