"""Confirming a patient's mobile number before anything is texted to it or taken from
it: a mistyped number would otherwise get a stranger the daily reminders, and a
stranger's `OK` would become the patient's check-in.

When SMS check-ins are turned on for a number (the patient's reminders page, or a
nurse at enrolment), the number is texted a short code, through text_patient (no
symptom word in it). A reply from that number with exactly the code confirms it
(Patient.mobile_confirmed_at). Until then no reminder is texted to it and no reply
from it is a check-in; a new number clears the confirmation.

The code: CODE_DIGITS random digits, kept only as an HMAC (keyed by SECRET_KEY, with
the patient and the number) and compared in constant time; it expires after
CODE_VALID, and after CODE_TRIES wrong replies. At most SENDS_PER_DAY codes a patient
and day (the page's "Send the code again", a new number, a reply of CODE), so that
the app cannot be used to flood a phone.
"""

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from base.throttle import limited_until
from clinical.sms import PUNCTUATION

from ..models import Patient
from ..signals import SmsNotSent, text_patient

log = logging.getLogger(__name__)

CODE_DIGITS = 4
CODE_VALID = timedelta(days=7)
CODE_TRIES = 5
SENDS_PER_DAY = 3
THROTTLE_KIND = "sms-code"
ASK_AGAIN = "CODE"  # a reply asking for a new code

CONFIRMED = "Thank you: SMS check-ins are on."
FIRST_THE_CODE = "Please first reply with the code we texted you, or reply CODE for a new one."
WRONG_CODE = "That is not the code we texted you. Please check it and reply again."
NO_CODE = "That code no longer works. Reply CODE for a new one."
TOO_MANY_CODES = "We have sent several codes today. Please try again tomorrow."
_A_CODE = re.compile(r"^[0-9]{3,8}$")

CLEARED = {
    "mobile_confirmed_at": None,
    "mobile_code_hash": "",
    "mobile_code_sent_at": None,
    "mobile_code_tries": 0,
}


def _digest(patient: Patient, code: str) -> str:
    message = f"mobile-code\0{patient.pk}\0{patient.mobile_number}\0{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def clear_confirmation(patient: Patient) -> None:
    """Forget a number's confirmation and code (on the instance, not saved): the
    caller saves it with the new number."""
    for name, value in CLEARED.items():
        setattr(patient, name, value)


def awaiting_code(patient: Patient) -> bool:
    """SMS check-ins on for a number not yet confirmed."""
    return bool(patient.sms_check_ins and patient.mobile_number and not patient.mobile_confirmed_at)


def code_text(patient: Patient, code: str) -> str:
    """The text with the code: who sends it, no word about a symptom."""
    return (
        f"Reply {code} to start SMS check-ins from {patient.care_team.name}. "
        "Not you? Ignore this text."
    )


def may_send_code(patient: Patient, *, now=None):
    """None if one more code may be sent to the patient today (and counts it); else
    when the next may."""
    return limited_until(
        THROTTLE_KIND, str(patient.pk), limit=SENDS_PER_DAY, per=timedelta(days=1), now=now
    )


def new_code(patient: Patient, *, now=None) -> str:
    """A fresh code for the patient's number, replacing any earlier one (saved)."""
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    fields = {"mobile_code_hash": _digest(patient, code), "mobile_code_sent_at": now}
    fields["mobile_code_tries"] = 0
    Patient.objects.filter(pk=patient.pk).update(**fields)
    for name, value in fields.items():
        setattr(patient, name, value)
    return code


def send_code(patient: Patient, *, now=None) -> bool:
    """Text a fresh code to the patient's number (awaiting_code). False if it could
    not be sent (the page says so; "Send the code again" retries). The caller checks
    may_send_code first."""
    now = now or timezone.now()
    code = new_code(patient, now=now)
    try:
        sent = text_patient.send(
            sender=Patient,
            to=patient.mobile_number,
            body=code_text(patient, code),
            key=f"confirm-{patient.pk}-{int(now.timestamp())}",
        )
        if not sent:
            raise SmsNotSent("nothing sends text messages")
    except SmsNotSent as exc:
        log.warning("confirmation code to patient %s not texted: %s", patient.pk, exc)
        return False
    return True


def answer_unconfirmed(patient: Patient, body: str, *, now=None) -> str:
    """A reply from a number awaiting its code: the code confirms it; CODE asks for a
    new one (answered with it); a wrong code counts a try; anything else, a check-in
    included, is not taken. Returns the text to answer with."""
    now = now or timezone.now()
    word = body.strip().strip(PUNCTUATION).strip().upper()
    if word == ASK_AGAIN:
        if may_send_code(patient, now=now):
            return TOO_MANY_CODES
        return code_text(patient, new_code(patient, now=now))
    if not _A_CODE.match(word):
        return f"{FIRST_THE_CODE} In an emergency call {settings.EMERGENCY_NUMBER}."
    usable = (
        patient.mobile_code_hash
        and patient.mobile_code_sent_at
        and now < patient.mobile_code_sent_at + CODE_VALID
        and patient.mobile_code_tries < CODE_TRIES
    )
    if not usable:
        return NO_CODE
    if hmac.compare_digest(patient.mobile_code_hash, _digest(patient, word)):
        confirmed = {"mobile_confirmed_at": now, "mobile_code_hash": "", "mobile_code_tries": 0}
        Patient.objects.filter(pk=patient.pk, mobile_number=patient.mobile_number).update(
            **confirmed
        )
        return CONFIRMED
    Patient.objects.filter(pk=patient.pk).update(mobile_code_tries=F("mobile_code_tries") + 1)
    return NO_CODE if patient.mobile_code_tries + 1 >= CODE_TRIES else WRONG_CODE
