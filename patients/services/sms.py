"""Check-ins by SMS: a patient's reply (clinical/sms.py's format) becomes a check-in
through the same engine, and what they are texted back.

The webhook that receives replies (alerts/views/sms.py) checks the provider's
signature and calls `receive_sms_reply`, which returns the text to answer with.
Nothing texted says anything about symptoms: no item's name, no finding, only whom
to call and when, so that a message read over a shoulder or on a shared phone
tells nobody more than the patient wrote.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from base.throttle import limited_until
from clinical.sms import Malformed, Reply, card_rows, parse_reply, warning_signs_in
from clinical.urgency import AMBER, EMERGENCY, GREEN, RED

from .. import audit
from ..models import Patient, SmsReply
from .advice import advice_for, whom_to_call
from .check_ins import TooManyCheckIns, load_for_check_in, record_check_in
from .sms_confirmation import CLEARED, answer_unconfirmed

# A reply's form token (one check-in per message, as one per web form): derived from
# the provider's message id, so that a message saved once is never saved again.
SMS_TOKENS = uuid.UUID("6f1d3c52-5b1e-4c52-9f0e-2a7b8c1d9e34")
THROTTLE_KIND = "sms-reply"


def sms_patient(number: str) -> Patient | None:
    """The patient who takes check-ins by SMS from `number` (confirmed or awaiting its
    code), their account active; None for anyone else (an unknown number, a patient
    who opted out)."""
    if not number:
        return None
    return (
        Patient.objects.filter(mobile_number=number, sms_check_ins=True, user__is_active=True)
        .select_related("user", "care_team")
        .first()
    )


def receive_sms_reply(*, sender: str, body: str, message_sid: str, now=None) -> str:
    """Take one SMS the provider delivered; the text to answer with ("" for none).

    1. A number that is no SMS patient's: nothing saved, no answer. A number not yet
       confirmed: only its code is read (sms_confirmation.answer_unconfirmed), no
       check-in, within the number's hourly limit.
    2. A message saved before (the provider delivers again): answered as it was.
    3. Beyond SMS_PER_NUMBER_PER_HOUR messages from the number: nothing saved and no
       answer (a loop or a flood costs nothing), unless the reply is well formed and
       the hour's limit of check-ins would not refuse it either: a warning sign, or a
       check-in the engine judges red or emergency (check_ins.never_refused).
    4. A reply not in the format: the help text, nothing saved; unless it names a
       warning sign's code as a word (`cp please help`): a check-in of those warning
       signs, yes (never refused by a limit, as every warning sign), answered with its
       advice and a line saying the rest could not be read.
    5. Otherwise a check-in, entered by the patient by SMS (limit=True: the hour's
       limit of check-ins applies, as on the form), with its SmsReply row, in one
       transaction; the answer is the advice for the engine's urgency.
    """
    now = now or timezone.now()
    patient = sms_patient(sender)
    if patient is None or not message_sid:
        return ""
    if _words(body) in STOP_WORDS:
        return stop_texts(patient)
    if not patient.mobile_confirmed_at:
        # Maybe a stranger's, the number mistyped: only the code is read from it.
        flood = limited_until(
            THROTTLE_KIND,
            sender,
            limit=settings.SMS_PER_NUMBER_PER_HOUR,
            per=timedelta(hours=1),
            now=now,
        )
        return "" if flood else answer_unconfirmed(patient, body, now=now)
    earlier = SmsReply.objects.filter(message_sid=message_sid).first()
    if earlier is not None:
        same = earlier.patient_id == patient.pk
        return reply_text(patient, earlier.outcome, now=now) if same else ""
    unread = False
    try:
        reply = parse_reply(body)
    except Malformed:
        signs = warning_signs_in(body)
        reply = Reply(ok=False, values=dict.fromkeys(signs, True)) if signs else None
        unread = reply is not None
    flood = limited_until(
        THROTTLE_KIND,
        sender,
        limit=settings.SMS_PER_NUMBER_PER_HOUR,
        per=timedelta(hours=1),
        now=now,
    )
    if reply is None:
        return "" if flood else help_text(patient, now=now)
    token = uuid.uuid5(SMS_TOKENS, message_sid)
    loaded = load_for_check_in(
        Patient.objects.filter(pk=patient.pk),
        now=now,
        per_hour=settings.CHECK_INS_PER_HOUR,
        form_token=token,
    )
    context = loaded.check_in_context
    if flood and context.limited_until is None:
        context.limited_until = flood  # refused below, as the hour's limit refuses
    usual = context.baseline.answers() if context.baseline else {}
    try:
        with transaction.atomic():
            saved = SmsReply.objects.create(
                patient=patient, message_sid=message_sid, received_at=now, outcome=GREEN
            )
            check_in, _evaluation, _created = record_check_in(
                patient=loaded,
                answers=reply.answers(usual),
                entered_by="sms",
                user=patient.user,
                form_token=token,
                actor=patient.user,
                limit=True,
            )
            saved.outcome, saved.check_in = check_in.urgency, check_in
            saved.save(update_fields=["outcome", "check_in"])
    except TooManyCheckIns:
        return "" if flood else limit_text(patient, now=now)
    except IntegrityError:
        # The same message, delivered twice at once: the other delivery saved it.
        earlier = SmsReply.objects.get(message_sid=message_sid)
        return reply_text(patient, earlier.outcome, now=now)
    answer = reply_text(patient, check_in.urgency, now=now)
    return f"{answer} {UNREAD}" if unread else answer


UNREAD = "We could not read the rest of your message."

# A patient must always be able to stop what we send them, from the phone itself
# (a feature phone cannot open the reminders page): the words carriers and
# providers treat as an opt-out.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})


def _words(body: str) -> str:
    return "".join(c for c in (body or "").upper() if c.isalpha())


def stop_texts(patient: Patient) -> str:
    """Turn the patient's SMS check-ins off (no more texted reminders or codes, and
    their replies are no longer read) and forget the number's confirmation, in the
    audit trail; the text to answer with.
    A STOP delivered again finds no SMS patient, and is not answered twice."""
    with transaction.atomic():
        # Its confirmation goes too: turned on again, the number is confirmed again
        # (the phone may have changed hands).
        stopped = Patient.objects.filter(pk=patient.pk, sms_check_ins=True).update(
            sms_check_ins=False, **CLEARED
        )
        if stopped:
            audit.record(
                patient.user,
                "changed",
                patient,
                obj=patient,
                detail="SMS check-ins stopped by a STOP text",
            )
    unwell = _unwell_now(patient, timezone.now())
    return (
        "You will get no more texts from us, and texts are no longer read as check-ins. "
        f"To start again, ask your care team. {unwell}"
    )


def _call(contact) -> str:
    return f"{contact.name} on {contact.phone}"


def reply_text(patient: Patient, urgency: str, *, now=None) -> str:
    """What a check-in of `urgency` is answered with: whom to call, and when (the same
    routing as the advice on the web page); never a word about a symptom."""
    now = now or timezone.now()
    emergency = settings.EMERGENCY_NUMBER
    if urgency == GREEN:
        return "Thank you, received."
    advice = advice_for(patient, urgency, now=now)
    line = advice.urgent_line
    if urgency == EMERGENCY:
        then = f" Then call {_call(line)}." if line else ""
        return f"Call {emergency} now for an ambulance.{then}"
    contact = advice.contact or line
    if contact is None:
        return f"Please call your care team now. If you cannot reach them, call {emergency}."
    if urgency == RED:
        return (
            f"Please call {_call(contact)} now, day or night. "
            f"If you cannot get through, call {emergency}."
        )
    if urgency == AMBER and advice.available_from:
        at = advice.available_from.astimezone(patient.tz)
        worse = f" If you feel worse before then, call {_call(line)}." if line else ""
        return f"Please contact your care team: call {_call(contact)} from {at:%A %H:%M}.{worse}"
    return f"Please contact your care team today: call {_call(contact)}."


def _unwell_now(patient: Patient, now) -> str:
    calls = {call.situation: call for call in whom_to_call(patient, now=now)}
    call = calls.get("now")
    emergency = f"In an emergency call {settings.EMERGENCY_NUMBER}."
    return f"Unwell now? Call {call.name} on {call.phone}. {emergency}" if call else emergency


def help_text(patient: Patient, *, now=None) -> str:
    """The answer to a reply not in the format: how to reply, whom to call."""
    now = now or timezone.now()
    return (
        "Sorry, we could not read that. Reply OK if all is as usual, or use the codes "
        f"on your card, e.g. OK D3. {_unwell_now(patient, now)}"
    )


def limit_text(patient: Patient, *, now=None) -> str:
    """The answer to a check-in beyond the hour's limit of check-ins (not saved)."""
    now = now or timezone.now()
    return f"Not saved: too many check-ins in the last hour. {_unwell_now(patient, now)}"


def reminder_text(patient: Patient, *, now=None) -> str:
    """The daily reminder by SMS."""
    now = now or timezone.now()
    return (
        "Time for your check-in. Reply OK if all is as usual, or use the codes on your "
        f"card. {_unwell_now(patient, now)}"
    )


def sms_card_context(patient: Patient) -> dict:
    """What the printable SMS card shows (templates/patients/sms_card.html): every code,
    the number to text, whom to call (as the printed care card says it)."""
    return {
        "patient": patient,
        "rows": card_rows(),
        "sms_from": settings.SMS_FROM,
        "emergency_number": settings.EMERGENCY_NUMBER,
        "calls": whom_to_call(patient, printed=True),
    }
