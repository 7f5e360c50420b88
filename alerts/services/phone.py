"""Phone triage: a clinician on a call records the patient's answers as a check-in
"entered by a clinician, by phone", judged by the same engine as the patient's own
form, with the outcome they chose and the advice they gave (alerts.models.PhoneCall).

1. `judge_call`: the engine's result for the answers so far, nothing saved (the call
   page shows it at once, and again as the answers change).
2. `record_call`: the check-in (patients.services.check_ins.record_check_in, so the
   worker flags it and its flags join or open episodes exactly as a patient's do)
   and the call, in one transaction, with an audit row naming the engine's urgency
   and the chosen one. The same form sent twice saves once.
3. `record_call_outcome`: run by the worker in the transaction that writes the
   check-in's flags (alerts.services.flagging): the outcome and advice become an
   Action on each episode the flags joined or opened, and the caller acknowledges
   those episodes, so that nobody is paged to phone back a patient who is on the
   phone already. Once per call, however often the evaluation runs.
"""

from django.db import transaction
from django.utils import timezone

from clinical.engine import Evaluation
from clinical.urgency import LABELS, RANK
from patients import audit
from patients.models import ACKNOWLEDGED, OPEN, Acknowledgement, Action, CheckIn, Patient
from patients.services.check_ins import evaluate, record_check_in

from ..models import PhoneCall


class FormNotOurs(Exception):
    """The form's token names a check-in that is not a phone call's (a form token
    posted by hand): nothing is saved."""


# What the advice given becomes on the episode's trail (an existing Action kind:
# no change to patients' choices).
ACTION_KIND = "advice"


def judge_call(patient: Patient, answers: dict, *, now=None) -> Evaluation:
    """The engine's result for `answers` given now: against the patient's active
    usual, their check-ins of the 2 days before and their treatment, as the patient's
    own form is judged (one query for what it reads)."""
    now = now or timezone.now()
    check_in = CheckIn(
        patient=patient,
        baseline=patient.active_baseline,
        submitted_at=now,
        local_date=patient.local_date(now),
        **answers,
    )
    return evaluate(check_in)


def record_call(
    *,
    patient: Patient,
    answers: dict,
    outcome: str,
    advice: str,
    override_reason: str = "",
    note: str = "",
    free_text: str = "",
    new_medicines: str = "",
    form_token=None,
    user,
    actor,
    now=None,
) -> tuple[PhoneCall, bool]:
    """Save a phone call's check-in and its call record together; (call, created).

    `outcome`: the urgency the clinician chose ("" for the engine's). A lower one
    than the engine's needs `override_reason` (ValueError without: callers validate
    first, and the database refuses it too). The audit row names both urgencies,
    never the reason or the note, which stay with the call (the trail outlives an
    erasure). A form sent twice returns the first call with created=False.
    """
    with transaction.atomic():
        check_in, evaluation, created = record_check_in(
            patient=patient,
            answers=answers,
            entered_by="clinician",
            user=user,
            free_text=free_text,
            new_medicines=new_medicines,
            form_token=form_token,
            now=now,
            actor=actor,
        )
        if not created:
            earlier = PhoneCall.objects.filter(check_in=check_in).first()
            if earlier is None:  # the token of a check-in that is no call: not this form
                raise FormNotOurs
            return earlier, False
        chosen = outcome or evaluation.urgency
        lowered = RANK[chosen] < RANK[evaluation.urgency]
        if lowered and not override_reason.strip():
            raise ValueError("A lower urgency than the engine's needs a reason.")
        call = PhoneCall(
            check_in=check_in,
            engine_urgency=evaluation.urgency,
            urgency=chosen,
            override_reason=override_reason.strip() if lowered else "",
            advice=advice,
            note=note,
            by=user,
            at=check_in.submitted_at,
        )
        call.save()
        audit.record(
            actor, "created", patient, obj=call, detail=call_detail(call), role="clinician"
        )
    return call, True


def call_detail(call: PhoneCall) -> str:
    """The audit row's words: engine and chosen urgency, whether lowered; no free text."""
    said = (
        f"phone triage: engine {call.engine_urgency}, chosen {call.urgency}, advice {call.advice}"
    )
    if call.lowered:
        said += "; LOWERED below the engine's urgency, with a written reason (kept on the call)"
    return said


def action_note(call: PhoneCall) -> str:
    """What the episode's trail says about the call."""
    parts = [f"Phone triage: outcome {LABELS[call.urgency].lower()}"]
    if call.urgency != call.engine_urgency:
        parts[0] += f" (the engine's result was {LABELS[call.engine_urgency].lower()})"
    if call.lowered:
        parts.append(f"Reason for the lower urgency: {call.override_reason}")
    parts.append(f"Advice given: {call.get_advice_display().lower()}")
    if call.note:
        parts.append(f"Note: {call.note}")
    return ". ".join(parts) + "."


def record_call_outcome(check_in: CheckIn, episodes, *, now) -> int:
    """In the worker's flagging transaction, with `episodes` (those the check-in's
    flags joined or opened) locked and their flags written: when the check-in is a
    phone call's, its outcome as an Action on each episode, and each episode still
    open acknowledged by the caller when its urgency is no more than what the call
    page showed them or they chose (the alert would page someone to phone a patient
    the caller is talking to). The call is claimed (actions_recorded_at from NULL)
    so that this happens once. Returns the number of actions written."""
    if check_in.entered_by != "clinician":
        return 0
    claimed = PhoneCall.objects.filter(check_in_id=check_in.pk, actions_recorded_at=None)
    if not claimed.update(actions_recorded_at=now):
        return 0
    call = PhoneCall.objects.get(check_in_id=check_in.pk)
    note = action_note(call)
    seen = max(RANK[call.urgency], RANK[call.engine_urgency])
    actions = []
    for episode in {e.pk: e for e in episodes}.values():
        # Acknowledged by the caller only when the call page showed them (as the
        # engine's result) or they chose an urgency at least the episode's: an episode
        # opened at red by an earlier check-in and joined by an amber call keeps its
        # alert and its escalation; a red the caller saw and lowered, with a reason, is
        # theirs.
        if episode.status == OPEN and seen >= RANK[episode.urgency]:
            episode.status = ACKNOWLEDGED
            episode.save(update_fields=["status"])
            Acknowledgement.objects.create(
                episode=episode, last_flag_id=episode.latest_flag_id, at=now, by_id=call.by_id
            )
        actions.append(
            Action(
                episode=episode, kind=ACTION_KIND, note=note, taken_at=now, taken_by_id=call.by_id
            )
        )
    Action.objects.bulk_create(actions)
    return len(actions)
