"""Enrolment in clinic and the welcome letter (alerts/services/enrolment.py).

Any member of a care team (nurse, oncologist or coordinator: the rule book treats
the team's clinicians alike for their patients) enrols patients into their own
teams, and prints the welcome letter of their teams' patients."""

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse

from patients import audit
from patients.access import clinician_required, get_patient_for_clinician

from ..enrolment_forms import EnrolmentForms
from ..services.enrolment import (
    cancel_invitation_links,
    enrol_patient,
    enrolled_by_form,
    send_invitations,
    text_confirmation_code,
    welcome_letter,
)


@clinician_required
def enrol(request):
    """GET: the empty form. POST: enrol and open the welcome letter, or show the page
    again with every problem listed at the top and nothing saved."""
    if request.method == "POST":
        done = enrolled_by_form(request.user, request.POST.get("patient-form_token"))
        if done is not None:  # the same form again: the first enrolment stands
            return redirect("alerts:welcome_letter", done)
    forms = EnrolmentForms(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and forms.is_valid():
        try:
            patient = enrol_patient(
                request=request,
                details=forms.details.cleaned_data,
                treatment=forms.treatment.cleaned_data,
                usual=forms.baseline.values() if forms.record_usual else None,
                carers=forms.invited_carers(),
            )
        except IntegrityError:
            # Sent twice at once, or the number was taken meanwhile.
            done = enrolled_by_form(request.user, request.POST.get("patient-form_token"))
            if done is not None:
                return redirect("alerts:welcome_letter", done)
            _say_what_was_taken(forms.details)
        else:
            _say_what_was_sent(request, patient)
            return redirect(reverse("alerts:welcome_letter", args=[patient.pk]) + "?new=1")
    return render(
        request,
        "alerts/enrol.html",
        {"forms": forms, "errors": forms.errors if request.method == "POST" else []},
    )


def _say_what_was_taken(details) -> None:
    """Another enrolment took something of these details between their checks and
    the save: run the form's checks again, on what the database holds now, so the
    page says which (the hospital number, the email address or username, the mobile
    number)."""
    details.full_clean()
    if not details.errors:
        details.add_error(
            None,
            "Another enrolment took one of these details (hospital number, email address "
            "or mobile number) at the same moment. Nothing was saved: send the form again.",
        )


def _say_what_was_sent(request, patient) -> None:
    sent, failed = send_invitations(request, patient)
    said = f"{patient.name} is enrolled."
    if sent:
        said += " Invitations emailed: " + "; ".join(sent) + "."
    messages.success(request, said)
    for problem in failed:
        messages.warning(request, problem)
    said, texted = text_confirmation_code(patient)
    if said:
        (messages.info if texted else messages.warning)(request, said)


@clinician_required
def letter(request, pk):
    """The printable welcome letter, with a live invitation link while the patient has
    no password: each opening is in the audit trail. A POST cancels every link given
    before (a letter lost, an email read by someone else), and the page shows a new one."""
    patient = get_patient_for_clinician(request.user, pk)
    if request.method == "POST":
        if cancel_invitation_links(patient):
            audit.record(
                request,
                "changed",
                patient,
                obj=patient,
                detail="earlier invitation links cancelled",
                role="clinician",
            )
            messages.success(
                request,
                "Every earlier link, printed or emailed, no longer works. The letter below "
                "has the only one that does: print it for the patient.",
            )
        return redirect("alerts:welcome_letter", patient.pk)
    content = welcome_letter(patient)
    audit.record(
        request,
        "viewed",
        patient,
        obj=patient,
        detail="welcome letter" + (", with invitation link" if content.url else ""),
        role="clinician",
    )
    return render(
        request,
        "alerts/welcome_letter.html",
        {
            "letter": content,
            "patient": patient,
            "new": request.GET.get("new") == "1",
            "login_url": settings.SITE_URL + reverse("login"),
        },
    )
