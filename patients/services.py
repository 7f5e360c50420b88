"""Recording baselines and check-ins: the patient's side of the core loop."""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts import services as alert_services
from alerts.engine import AMBER, EMERGENCY, GREEN, RED, Evaluation
from alerts.models import Contact

from .models import Baseline, CheckIn, Patient

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
        form_token = None
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


def _same(check_in: CheckIn, answers: dict, free_text: str, new_medicines: str) -> bool:
    return (
        check_in.answers() == {k: v for k, v in answers.items() if v is not None}
        and check_in.free_text == free_text
        and check_in.new_medicines == new_medicines
    )


def _queue_evaluation(check_in_id: int) -> None:
    from alerts import tasks

    tasks.enqueue(tasks.evaluate_check_in, check_in_id)


@dataclass(frozen=True)
class Advice:
    """What the patient is told after a check-in, and whom to ring."""

    urgency: str
    contact: Contact | None  # whom to phone for this urgency now (or when next on duty)
    available_from: object | None  # set when that contact is not on duty now
    urgent_line: Contact | None  # the first 24/7 contact for red: "if you get worse", any time

    @property
    def phone_now(self) -> bool:
        return self.urgency in (AMBER, RED, EMERGENCY)

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
