"""Recording baselines and check-ins: the patient's side of the core loop."""

import json
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alerts import services as alert_services
from base.tasks import enqueue, queue_after_commit
from clinical.engine import Evaluation
from clinical.reminders import ReminderState, reminder_due
from clinical.urgency import EMERGENCY, GREEN, PHONE_NOW

from .models import Baseline, CheckIn, Contact, Patient, Reminder, Treatment

log = logging.getLogger(__name__)


def record_baseline(*, patient: Patient, values: dict, recorded_by) -> Baseline:
    """A new baseline becomes the active one; earlier ones are kept for earlier check-ins."""
    return Baseline.objects.create(patient=patient, recorded_by=recorded_by, **values)


def record_check_in(
    *,
    patient: Patient,
    answers: dict,
    entered_by: str,
    user,
    free_text: str = "",
    new_medicines: str = "",
    form_token=None,
    now=None,
) -> tuple[CheckIn, Evaluation, bool]:
    """Save a check-in, judge it at once for the patient's advice, queue the worker.

    The same form submitted twice (same form_token, same answers) saves once: the
    second call returns the first check-in with created=False. A form sent again
    with changed answers (back, tick another box, send) is a new check-in.
    """
    now = now or timezone.now()
    earlier = (
        CheckIn.objects.filter(form_token=form_token, patient=patient).first()
        if form_token
        else None
    )
    if earlier is not None:
        if _same(earlier, answers, free_text, new_medicines):
            return earlier, alert_services.evaluate(earlier), False
        # Back, change, send: a new check-in under a token of its own (the form's and
        # these answers), so that this version sent twice is saved once too.
        form_token = _variant(form_token, answers, free_text, new_medicines)
        again = CheckIn.objects.filter(form_token=form_token, patient=patient).first()
        if again is not None:
            return again, alert_services.evaluate(again), False
    check_in = CheckIn(
        patient=patient,
        baseline=patient.active_baseline,
        submitted_at=now,
        local_date=patient.local_date(now),
        entered_by=entered_by,
        entered_by_user=user,
        free_text=free_text,
        new_medicines=new_medicines,
        form_token=form_token,
        **answers,
    )
    evaluation = alert_services.evaluate(check_in)
    check_in.urgency = evaluation.urgency
    try:
        with transaction.atomic():
            check_in.save()
            transaction.on_commit(lambda: _queue_evaluation(check_in.pk))
    except IntegrityError:
        # The same token saved by a concurrent request a moment ago.
        earlier = CheckIn.objects.get(form_token=form_token, patient=patient)
        return earlier, alert_services.evaluate(earlier), False
    return check_in, evaluation, True


def _variant(token, answers: dict, free_text: str, new_medicines: str) -> uuid.UUID:
    answered = sorted((k, str(v)) for k, v in answers.items() if v is not None)
    return uuid.uuid5(uuid.UUID(str(token)), json.dumps([answered, free_text, new_medicines]))


def _same(check_in: CheckIn, answers: dict, free_text: str, new_medicines: str) -> bool:
    return (
        check_in.answers() == {k: v for k, v in answers.items() if v is not None}
        and check_in.free_text == free_text
        and check_in.new_medicines == new_medicines
    )


def _queue_evaluation(check_in_id: int) -> None:
    from alerts import tasks

    enqueue(tasks.evaluate_check_in, check_in_id)


@dataclass(frozen=True)
class Advice:
    """What the patient is told after a check-in, and whom to ring."""

    urgency: str
    contact: Contact | None  # whom to phone for this urgency now (or when next on duty)
    available_from: object | None  # set when that contact is not on duty now
    urgent_line: Contact | None  # the first 24/7 contact for red: "if you get worse", any time

    @property
    def phone_now(self) -> bool:
        return self.urgency in PHONE_NOW

    @property
    def emergency(self) -> bool:
        return self.urgency == EMERGENCY


def advice_for(patient: Patient, urgency: str, *, now=None) -> Advice:
    now = now or timezone.now()
    contacts = {c.pk: c for c in patient.care_team.contacts.filter(active=True)}
    urgent_line = next(
        (
            c
            for c in sorted(contacts.values(), key=lambda c: c.order)
            if c.always_on_duty and c.handles_red
        ),
        None,
    )
    if urgency == GREEN:
        return Advice(urgency, None, None, urgent_line)
    chosen = alert_services.route_for(patient, urgency, now)
    if chosen is None:
        return Advice(urgency, urgent_line, None, urgent_line)
    later = chosen.deliver_at if chosen.deliver_at > now else None
    return Advice(urgency, contacts.get(chosen.contact.ref), later, urgent_line)


# Reminders (issue 4): decided by patients.reminders.reminder_due, sent by the
# reminders queue's worker, at most once a patient and local day.

REMINDER_STALE = timedelta(minutes=10)


def send_due_reminders(*, now=None) -> int:
    """Write a reminder row for each patient due one and queue its email on commit.

    The row is unique per patient and local day, so a sweep that runs twice (or
    two beats) sends one. Rows a broker lost are queued again after 10 minutes.
    Returns how many were written.
    """
    from . import tasks

    now = now or timezone.now()
    candidates = (
        Patient.objects.filter(reminders=True)
        .select_related("care_team")
        .annotate(
            last_check_in=Max("check_ins__local_date"),
            last_reminder=Max("check_in_reminders__local_date"),
        )
        .prefetch_related(
            Prefetch("treatments", queryset=Treatment.objects.order_by("-start_date", "-pk"))
        )
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
                queue_after_commit(tasks.send_reminder, reminder.pk)
                written += 1
        except IntegrityError:
            continue  # another sweep wrote today's reminder a moment ago
    lost = Reminder.objects.filter(sent_at__isnull=True, created_at__lt=now - REMINDER_STALE)
    for pk in lost.values_list("pk", flat=True):
        queue_after_commit(tasks.send_reminder, pk)
    return written


def deliver_reminder(reminder_id: int, *, now=None) -> bool:
    """Email one reminder, once: claimed with a conditional update, sent outside
    any transaction. False if it was sent already or is no longer wanted."""
    now = now or timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(sent_at=now)
    if not claimed:
        return False
    reminder = Reminder.objects.select_related("patient__user").get(pk=reminder_id)
    patient = reminder.patient
    if not patient.reminders or not patient.user.email:
        return False
    context = {
        "patient": patient,
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
