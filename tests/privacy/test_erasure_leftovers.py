"""What an erasure must not leave behind outside the patient's own rows: addresses in
the audit trail, live acknowledge links, the development files the project writes
(the file email backend's folder, SMS_FILE), email addresses queued for a worker."""

import logging
import re

import pytest
from celery.signals import before_task_publish
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.passwords import send_password_reset
from accounts.tasks import send_password_reset_email
from alerts.messages import ack_token
from alerts.models import Notification
from alerts.services import delivery
from patients import audit
from patients.invitations import invite_carer
from patients.models import AuditEvent, Carer, Flag
from patients.privacy import erase_patient

from ..conftest import Client, login
from .conftest import files_text, flagged

ACK_LINK = re.compile(r"/ack/[^/\s]+/")


def alerted(patient, **answers):
    """A red check-in of `patient`, evaluated now: its alert's notifications, not yet sent."""
    check_in = flagged(patient, at=timezone.now(), **answers).check_in
    return list(Notification.objects.filter(alert__check_in=check_in).order_by("pk"))


def deliver(notifications):
    for notification in notifications:
        delivery.deliver_notification(notification.pk)


def erase(admin_user, patient, django_capture_on_commit_callbacks):
    """Erase as the admin page does, and run what waits for the commit."""
    with django_capture_on_commit_callbacks(execute=True):
        erase_patient(patient, admin_user)


# The audit trail


def test_erasure_forgets_the_addresses_of_everyone_who_looked_at_the_patient(
    patient,
    carer,
    nurse,
    admin_user,
    other_patient,
    other_nurse,
    django_capture_on_commit_callbacks,
):
    flagged(patient, at=timezone.now(), stools_per_day=9)
    carer_client, nurse_client, other_client = Client(), Client(), Client()
    login(carer_client, carer).get(reverse("patients:check_ins"), REMOTE_ADDR="198.51.100.7")
    login(nurse_client, nurse).get(
        reverse("alerts:patient", args=[patient.pk]), REMOTE_ADDR="203.0.113.5"
    )
    login(other_client, other_nurse).get(
        reverse("alerts:patient", args=[other_patient.pk]), REMOTE_ADDR="203.0.113.99"
    )
    about_her = AuditEvent.objects.filter(patient_id=patient.pk)
    assert set(about_her.exclude(ip=None).values_list("actor_role", "ip")) == {
        ("carer", "198.51.100.7"),
        ("clinician", "203.0.113.5"),
    }

    erase(admin_user, patient, django_capture_on_commit_callbacks)

    assert list(about_her.exclude(action="erased").exclude(ip=None)) == []
    assert about_her.filter(actor_role="carer").exists()  # the rows stay, pseudonymous
    # Someone else's trail keeps its addresses.
    assert AuditEvent.objects.get(patient_id=other_patient.pk).ip == "203.0.113.99"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_lets_an_address_be_forgotten_and_nothing_else(patient, nurse):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5")
    request.user = nurse
    event = audit.record(request, "viewed", patient)
    sql = "UPDATE patients_auditevent SET ip = NULL, detail = 'rewritten'"

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_auditevent SET ip = NULL WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk, ip=None, detail="").exists()


# Acknowledge links


def test_an_acknowledge_link_is_dead_once_the_patient_is_erased(
    client, patient, nurse, admin_user, django_capture_on_commit_callbacks
):
    notification = alerted(patient, stools_per_day=9)[0]
    link = reverse("alerts:ack", args=[ack_token(notification.pk)])
    forged = reverse("alerts:ack", args=[ack_token(notification.pk)[:-2] + "xx"])
    login(client, nurse)

    erase(admin_user, patient, django_capture_on_commit_callbacks)
    response = client.get(link)

    assert response.status_code == client.get(forged).status_code == 404
    assert not AuditEvent.objects.filter(action="link_used").exists()


def test_the_worker_log_names_a_notification_by_id_never_its_link(patient, caplog):
    """The worker's log is shipped and kept where erasure cannot reach: it names the
    notification (its idempotency key), never the link, which works for 24 hours."""
    sms = [n for n in alerted(patient, stools_per_day=9) if n.channel == "sms"]

    with caplog.at_level(logging.INFO):
        deliver(sms)

    assert f"notification-{sms[0].pk}" in caplog.text
    assert not ACK_LINK.search(caplog.text), caplog.text


# The development files


@pytest.fixture
def written(dev_files, full_record, shared_carer, other_patient, mailoutbox):
    """Alice's alert emails and SMS (name, hospital number, symptoms, links), her own
    password-reset email, Dorian's invitation naming her; and Bob's alert, which
    must stay."""
    send_password_reset(full_record.user.email)
    invite_carer(Carer.objects.get(patient=full_record, user=shared_carer))
    bob = alerted(other_patient, stools_per_day=9)
    deliver(bob)
    return full_record, bob


def test_erasure_removes_the_patient_from_the_development_email_and_sms_files(
    written, dev_files, admin_user, django_capture_on_commit_callbacks
):
    patient, bob = written
    needles = [
        "Alice",
        "Morgan",
        "alice@example.org",
        patient.hospital_number,
        # The alert email names the symptom.
        Flag.objects.get(check_in__patient=patient, symptom="abdominal_pain").explanation,
        *[
            f"notification-{n.pk}"
            for n in Notification.objects.filter(alert__check_in__patient=patient, status="sent")
        ],
    ]
    before = files_text(dev_files)
    assert [n for n in needles if n in before] == needles, "every trace is there to erase"
    assert "Bob Okafor" in before and all(f"notification-{n.pk}" in before for n in bob)

    erase(admin_user, patient, django_capture_on_commit_callbacks)

    after = files_text(dev_files)
    assert [n for n in needles if n in after] == []
    assert "Bob Okafor" in after  # his alert email
    assert all(f"notification-{n.pk}" in after for n in bob)  # and his SMS
    assert {int(pk) for pk in re.findall(r"/ack/(\d+):", after)} == {n.pk for n in bob}


# Email addresses queued for a worker


@pytest.fixture
def published(broker_at):
    """The body of every task this process hands to the broker (kombu's memory
    transport: queued, never consumed here)."""
    bodies = []

    def keep(sender=None, body=None, **kwargs):
        bodies.append((sender, body))

    broker_at("memory://")
    before_task_publish.connect(keep, weak=False)
    yield bodies
    before_task_publish.disconnect(keep)


def test_a_password_reset_queues_account_ids_never_the_address(client, patient, published):
    response = client.post(reverse("password_reset"), {"email": "Alice@example.org"})

    assert response["Location"] == reverse("password_reset_done")
    assert [sender for sender, _body in published] == ["patients.tasks.send_password_reset_email"]
    args, kwargs, _embed = published[0][1]
    assert list(args) == [[patient.user_id]] and kwargs == {}
    assert "example.org" not in repr(published).lower()


def test_an_unknown_address_queues_the_same_task_with_no_account(client, patient, published):
    client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert [list(body[0]) for _sender, body in published] == [[[]]]


def test_the_worker_sends_the_reset_to_the_accounts_queued(patient, mailoutbox):
    send_password_reset_email([patient.user_id])

    assert [m.to for m in mailoutbox] == [["alice@example.org"]]


def test_a_reset_queued_by_the_release_before_with_an_address_is_still_sent(patient, mailoutbox):
    send_password_reset_email("alice@example.org")

    assert [m.to for m in mailoutbox] == [["alice@example.org"]]


def test_a_reset_queued_for_an_erased_patient_sends_nothing(
    patient, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    user_id = patient.user_id
    erase(admin_user, patient, django_capture_on_commit_callbacks)

    send_password_reset_email([user_id])

    assert mailoutbox == []


def test_the_trail_records_the_erasure_with_the_admins_address(
    rf, patient, admin_user, django_capture_on_commit_callbacks
):
    """The erasure's own row is the admin's accountability: its address stays."""
    request = rf.post("/", REMOTE_ADDR="192.0.2.44")
    request.user = admin_user
    with django_capture_on_commit_callbacks(execute=True):
        erased = erase_patient(patient, request)

    assert erased.ip == "192.0.2.44" and erased.patient_ref == audit.patient_ref(patient.pk)
