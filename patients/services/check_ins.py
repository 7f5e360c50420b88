"""Recording baselines and check-ins, and judging a check-in: the patient's side of
the core loop.

A check-in is judged at once, in the request, for the patient's advice (the same
pure engine the worker runs for flags); once it is saved, `check_in_recorded` is
sent inside the transaction, and alerts queues the worker's evaluation on commit.
"""

import json
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinical.engine import Evaluation, PastCheckIn, Treatment, evaluate_check_in

from ..models import Baseline, CheckIn, Patient
from ..signals import check_in_recorded


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
            return earlier, evaluate(earlier), False
        # Back, change, send: a new check-in under a token of its own (the form's and
        # these answers), so that this version sent twice is saved once too.
        form_token = _variant(form_token, answers, free_text, new_medicines)
        again = CheckIn.objects.filter(form_token=form_token, patient=patient).first()
        if again is not None:
            return again, evaluate(again), False
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
    evaluation = evaluate(check_in)
    check_in.urgency = evaluation.urgency
    try:
        with transaction.atomic():
            check_in.save()
            check_in_recorded.send(sender=CheckIn, check_in=check_in)
    except IntegrityError:
        # The same token saved by a concurrent request a moment ago.
        earlier = CheckIn.objects.get(form_token=form_token, patient=patient)
        return earlier, evaluate(earlier), False
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


def evaluate(check_in: CheckIn) -> Evaluation:
    """Run the engine on a check-in (saved or not) with its baseline and the 2 days before."""
    baseline = check_in.baseline.answers() if check_in.baseline else {}
    day = check_in.local_date
    earlier = CheckIn.objects.filter(
        patient_id=check_in.patient_id,
        local_date__gte=day - timedelta(days=2),
        local_date__lt=day,
    ).select_related("baseline")
    history = [
        PastCheckIn(
            (day - c.local_date).days, c.answers(), c.baseline.answers() if c.baseline else {}
        )
        for c in earlier
    ]
    treatment = check_in.patient.treatment
    context = Treatment(treatment.with_chemotherapy, treatment.status) if treatment else Treatment()
    return evaluate_check_in(check_in.answers(), baseline, history=history, treatment=context)
