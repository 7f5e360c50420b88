"""Check-in reminders: decided by clinical.reminders.reminder_due, sent by the
reminders queue's worker, at most once a patient and local day."""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from base.tasks import queue_after_commit
from clinical.reminders import ReminderState, reminder_due

from ..models import Baseline, Patient, Reminder, Treatment
from ..signals import SmsNotSent, text_patient
from .advice import whom_to_call
from .sms import reminder_text

log = logging.getLogger(__name__)

REMINDER_STALE = timedelta(minutes=10)


def send_due_reminders(*, now=None) -> int:
    """Write a reminder row for each patient due one and queue its email on commit.

    The row is unique per patient and local day, so a sweep that runs twice (or
    two beats) sends one. Rows a broker lost are queued again after 10 minutes.
    Returns how many were written.
    """
    now = now or timezone.now()
    candidates = (
        Patient.objects.filter(reminders=True, user__is_active=True)
        # Only once the usual is recorded, and, for an email (its check-in link would
        # not work before), a password chosen: an invited patient has none yet. A
        # text needs no password: an SMS-only patient enrolled in clinic gets it once
        # their number is confirmed.
        .filter(
            Q(sms_check_ins=True, mobile_confirmed_at__isnull=False)
            | ~Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
        )
        .filter(Exists(Baseline.objects.filter(patient=OuterRef("pk"))))
        .select_related("care_team")
        .annotate(
            last_check_in=Max("check_ins__local_date"),
            last_reminder=Max("check_in_reminders__local_date"),
        )
        .prefetch_related(Prefetch("treatments", queryset=Treatment.objects.current_first()))
    )
    written = 0
    for patient in candidates:
        treatments = patient.treatments.all()
        state = ReminderState(
            time_zone=patient.time_zone,
            reminder_time=patient.reminder_time,
            treatment_status=treatments[0].status if treatments else None,
            after_treatment=patient.care_team.after_treatment_reminders,
            last_check_in=patient.last_check_in,
            last_reminder=patient.last_reminder,
        )
        if not reminder_due(state, now):
            continue
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    patient=patient, local_date=patient.local_date(now), created_at=now
                )
                queue_after_commit(deliver_reminder, reminder.pk)
                written += 1
        except IntegrityError:
            continue  # another sweep wrote today's reminder a moment ago
    lost = Reminder.objects.filter(sent_at__isnull=True, created_at__lt=now - REMINDER_STALE)
    for pk in lost.values_list("pk", flat=True):
        queue_after_commit(deliver_reminder, pk)
    return written


def deliver_reminder(reminder_id: int, *, now=None) -> bool:
    """Email one reminder (text it, to a patient who checks in by SMS), once: claimed
    with a conditional update, sent outside any transaction. False if it was sent
    already or is no longer wanted."""
    now = now or timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(sent_at=now)
    if not claimed:
        return False
    reminder = Reminder.objects.select_related("patient__user", "patient__care_team").get(
        pk=reminder_id
    )
    patient = reminder.patient
    if patient.reminders and patient.texts_check_ins:  # a confirmed number only
        return _text_reminder(reminder, now)
    if not patient.reminders or not patient.user.email:
        return False
    if not patient.user.has_usable_password():
        return False  # no email link before a password (their number unconfirmed since)
    calls = {call.situation: call for call in whom_to_call(patient, now=now)}
    context = {
        "patient": patient,
        "call_now": calls.get("now"),  # whom to phone if unwell now: the same routing
        "emergency": calls["emergency"],
        "check_in_url": settings.SITE_URL + reverse("patients:check_in"),
        "stop_url": settings.SITE_URL
        + reverse("patients:stop_reminders", args=[reminder_stop_token(patient.pk)]),
    }
    try:
        send_mail(
            "Time for today's check-in",
            render_to_string("patients/email/reminder.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [patient.user.email],
        )
    except (smtplib.SMTPException, OSError):
        Reminder.objects.filter(pk=reminder_id).update(sent_at=None)  # the sweep retries
        raise
    return True


def _text_reminder(reminder: Reminder, now) -> bool:
    """deliver_reminder by SMS, for a patient who checks in by SMS reply: a text that
    names no symptom (patients.services.sms.reminder_text), sent by whoever receives
    text_patient (alerts). A failure that may pass releases the claim (the task and
    the sweep retry); a permanent one (a number the provider refuses) keeps it."""
    patient = reminder.patient
    try:
        sent = text_patient.send(
            sender=Reminder,
            to=patient.mobile_number,
            body=reminder_text(patient, now=now),
            key=f"reminder-{reminder.pk}",
        )
        if not sent:
            raise SmsNotSent("nothing sends text messages")
    except SmsNotSent as exc:
        if exc.permanent:
            log.warning("reminder %s not texted: %s", reminder.pk, exc)
            return False
        Reminder.objects.filter(pk=reminder.pk).update(sent_at=None)  # the sweep retries
        raise
    return True


STOP_SALT = "patients.stop-reminders"


def reminder_stop_token(patient_id: int) -> str:
    return signing.dumps(patient_id, salt=STOP_SALT)


def patient_for_stop_token(token: str) -> Patient | None:
    """The patient a stop link names; None for a link that is not ours. It does not
    expire: a patient must always be able to stop reminders."""
    try:
        return Patient.objects.get(pk=signing.loads(token, salt=STOP_SALT))
    except (signing.BadSignature, Patient.DoesNotExist):
        return None
