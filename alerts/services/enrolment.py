"""Enrolment in clinic: a nurse or coordinator makes the patient's account and record
with them, then hands over a printed welcome letter.

1. `enrol_patient` writes everything in one transaction: the account (no password
   yet: the patient chooses one from their invitation), the patient, the treatment,
   the usual when taken in clinic (recorded by the clinician), the carers invited
   (pending until they accept), and the audit trail. The trail's "created" row
   names the page's form token, so a form sent twice enrols once
   (`enrolled_by_form` finds the first).
2. `send_invitations`, after the commit: the patient's email (when they gave an
   address) and each carer's. A failure is returned as a sentence for the nurse;
   nothing is undone (the letter carries the patient's link; the patient can send a
   carer's invitation again from "People who help me").
3. `welcome_letter`: what the letter shows, with a fresh invitation link and its QR
   code while the patient has no password. Opening it changes nothing, so the link
   just emailed keeps working; `cancel_invitation_links` ends every earlier link
   when a letter or an email may be in the wrong hands.
"""

from dataclasses import dataclass
from datetime import timedelta

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe

from patients import audit
from patients.invitations import NotSent, invite_carer, invite_patient, patient_invitation_url
from patients.models import AuditEvent, Carer, Patient, Treatment
from patients.services.advice import whom_to_call
from patients.services.check_ins import record_baseline
from patients.services.sms_confirmation import awaiting_code, may_send_code, send_code

ENROLLED = "enrolled in clinic; form {token}"
ROLE = "clinician"


def enrolled_by_form(user, token) -> int | None:
    """The patient this clinician enrolled with this form (its token), if they did in
    the last day: a form sent again shows the first enrolment instead of a second."""
    if not token:
        return None
    return (
        AuditEvent.objects.filter(
            at__gte=timezone.now() - timedelta(days=1),
            actor_id=user.pk,
            action="created",
            object_type="patients.patient",
            detail=ENROLLED.format(token=token),
        )
        .values_list("patient_id", flat=True)
        .first()
    )


def enrol_patient(
    *, request, details: dict, treatment: dict, usual: dict | None, carers: list[dict]
) -> Patient:
    """The patient's account and record, in one transaction (see the module's note).
    `details`: PatientDetailsForm's cleaned data; `treatment`: TreatmentForm's;
    `usual`: the baseline's values, or None when the patient records it at their first
    visit; `carers`: [{"name", "email"}]. Raises IntegrityError when the hospital
    number, mobile number or username was taken meanwhile (nothing is kept)."""
    clinician = request.user
    with transaction.atomic():
        user = get_user_model()(
            username=details["email"] or details["hospital_number"],
            email=details["email"],
            first_name=details["first_name"].strip(),
            last_name=details["last_name"].strip(),
        )
        user.set_unusable_password()
        user.save()
        patient = Patient.objects.create(
            user=user,
            care_team=details["care_team"],
            hospital_number=details["hospital_number"],
            date_of_birth=details["date_of_birth"],
            time_zone=details["time_zone"],
            mobile_number=details["mobile_number"],
            sms_check_ins=details["sms_check_ins"],
        )
        token = details["form_token"]
        audit.record(
            request, "created", patient, obj=patient, detail=ENROLLED.format(token=token), role=ROLE
        )
        made = Treatment.objects.create(patient=patient, **treatment)
        audit.record(
            request, "created", patient, obj=made, detail="treatment, at enrolment", role=ROLE
        )
        if usual is not None:
            baseline = record_baseline(patient=patient, values=usual, recorded_by=clinician)
            audit.record(
                request, "created", patient, obj=baseline, detail="usual, in clinic", role=ROLE
            )
        for carer in carers:
            invited = Carer.objects.create(
                patient=patient, name=carer["name"], email=carer["email"]
            )
            audit.record(
                request, "carer_invited", patient, obj=invited, detail="at enrolment", role=ROLE
            )
    return patient


def text_confirmation_code(patient: Patient) -> tuple[str, bool]:
    """Text a patient enrolled for SMS check-ins the code that confirms their number
    (patients.services.sms_confirmation): until they reply with it, nothing else is
    texted to the number and no reply from it is a check-in. ("", True) when there is
    nothing to send; else the sentence for the nurse and whether it was sent."""
    if not awaiting_code(patient):
        return "", True
    if may_send_code(patient) or not send_code(patient):
        return (
            f"The text with the code for {patient.mobile_number} could not be sent. Check the "
            "number; the patient can ask for the code again from their reminders page, or "
            "by texting CODE.",
            False,
        )
    return (
        f"We texted {patient.mobile_number} a code: {patient.name} replies to that text with "
        "the code to start SMS check-ins (it works for 7 days).",
        True,
    )


def send_invitations(request, patient: Patient) -> tuple[list[str], list[str]]:
    """Email the patient's invitation (if they have an address) and each pending
    carer's. Returns (what was sent, what was not), in sentences for the nurse."""
    sent, failed = [], []
    if patient.user.email:
        try:
            invite_patient(patient)
        except NotSent:
            failed.append(
                f"The invitation email to {patient.name} could not be sent. The welcome "
                "letter below has their link: give them the letter."
            )
        else:
            sent.append(f"{patient.name} (to {patient.user.email})")
            audit.record(
                request, "changed", patient, obj=patient, detail="invitation sent", role=ROLE
            )
    for carer in patient.carers.pending().order_by("pk"):
        try:
            invite_carer(carer)
        except NotSent:
            failed.append(
                f"The invitation to {carer.name} could not be sent. The patient can send it "
                "again from “People who help me” once they have logged in."
            )
        else:
            sent.append(f"{carer.name} (to {carer.email})")
            audit.record(
                request, "changed", patient, obj=carer, detail="carer's invitation sent", role=ROLE
            )
    return sent, failed


def cancel_invitation_links(patient: Patient) -> bool:
    """Make every invitation link given so far stop working, while the patient has no
    password: a link's token is made from the password's hash, and a new unusable
    password is a new random hash. False, and nothing changed, once they have one:
    the write is conditional in the database, so a password the patient chose a
    moment ago (after `patient.user` was read) is never replaced."""
    user = patient.user
    unusable = make_password(None)
    changed = (
        get_user_model()
        .objects.filter(pk=user.pk, password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .update(password=unusable)
    )
    if changed:
        user.password = unusable
    return bool(changed)


@dataclass(frozen=True)
class WelcomeLetter:
    patient: Patient
    url: str  # the invitation link, "" once the patient has a password
    qr_svg: str
    valid_until: object  # the last moment the link works, in the patient's zone
    calls: list
    treatment: Treatment | None
    today: object


def welcome_letter(patient: Patient) -> WelcomeLetter:
    """The letter's content: a new invitation link (each opening makes a fresh one,
    which works for INVITATION_MAX_AGE_DAYS from now, until it or any other of the
    patient's links is used) with its QR code, and the lines of the care-team card."""
    now = timezone.now()
    url = "" if patient.user.has_usable_password() else patient_invitation_url(patient)
    until = (now + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)).astimezone(patient.tz)
    return WelcomeLetter(
        patient=patient,
        url=url,
        qr_svg=qr_svg(url) if url else "",
        valid_until=until,
        calls=whom_to_call(patient, now=now, printed=True),
        treatment=patient.treatment,
        today=patient.local_date(now),
    )


QR_LABEL = "QR code of your invitation link"


def qr_svg(url: str) -> str:
    """The link as a QR code, inline SVG markup (no style attribute, no image file)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        border=4, dark="#000", light="#fff", svgclass="qr-code", title=QR_LABEL, omitsize=True
    )
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{QR_LABEL}" ', 1)
    return mark_safe(svg)  # noqa: S308 - segno's own markup of our URL
