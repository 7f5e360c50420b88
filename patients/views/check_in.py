"""The usual (baseline), the daily check-in, and what the patient is told after it."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from clinical.catalogue import BASELINE_ITEMS
from clinical.urgency import AMBER

from .. import audit
from ..access import get_check_in, patient_or_carer, patient_required
from ..forms.check_in import BaselineForm, CheckInForm, names_of, usual_filled_form, usual_left
from ..services.advice import advice_for
from ..services.check_ins import (
    TooManyCheckIns,
    evaluate,
    load_for_check_in,
    record_baseline,
    record_check_in,
)
from ..services.open_alarm import open_alarm_context, open_alarm_for
from ..templatetags.symptoms import acting_for


@patient_required
def baseline(request, patient):
    current = patient.active_baseline
    form = BaselineForm(request.POST if request.method == "POST" else None, current=current)
    if request.method == "POST" and form.is_valid():
        record_baseline(patient=patient, values=form.values(), recorded_by=request.user)
        if current is None:
            # The first visit's last step: who to phone, and when.
            messages.success(
                request,
                "Your usual has been saved. Last step: here is who to phone, and when. "
                "Keep this list somewhere safe.",
            )
            return redirect(f"{reverse('patients:contacts')}?welcome=1")
        messages.success(
            request, "Your usual has been saved. Check-ins from now on are compared with it."
        )
        return redirect("patients:home")
    rows = [(item, getattr(current, item.key)) for item in BASELINE_ITEMS] if current else []
    left = usual_left(current)
    return render(
        request,
        "patients/baseline.html",
        {
            "form": form,
            "current": current,
            "rows": rows,
            "left": left,
            "left_names": names_of(left),
        },
    )


# Session key: the zone of the patient whose check-in page was last shown, so that the
# POST reads exactly the days before their today (load_for_check_in's `zone`).
CHECK_IN_ZONE = "check_in_zone"


def _with_check_in_context(request, patients):
    """The patient with what their check-in needs, in one query (load_for_check_in):
    the usual for the form; on POST also the days before, the treatment, the hour's
    limit and whether this form was sent already."""
    posted = request.method == "POST"
    return load_for_check_in(
        patients,
        history=posted,
        form_token=request.POST.get("form_token") if posted else None,
        per_hour=settings.CHECK_INS_PER_HOUR if posted else None,
        zone=request.session.get(CHECK_IN_ZONE) if posted else None,
    )


@patient_or_carer(load=_with_check_in_context)
def check_in(request, patient):
    baseline = patient.check_in_context.baseline
    who = acting_for(request.carer)
    # An "as usual" button pressed without JavaScript: show the form filled in, save nothing.
    refilled = usual_filled_form(request.POST, baseline=baseline, who=who)
    if refilled is not None:
        return _form_page(request, patient, {"form": refilled, "baseline": baseline})
    if request.method != "POST" and request.session.get(CHECK_IN_ZONE) != patient.time_zone:
        request.session[CHECK_IN_ZONE] = patient.time_zone
    form = CheckInForm(request.POST or None, baseline=baseline, who=who)
    if request.method == "POST" and form.is_valid():
        try:
            saved, _evaluation, created = record_check_in(
                patient=patient,
                answers=form.answers(),
                entered_by="carer" if request.carer else "patient",
                user=request.user,
                free_text=form.cleaned_data["free_text"],
                new_medicines=form.cleaned_data["new_medicines"],
                form_token=form.cleaned_data["form_token"],
                actor=request,
                limit=True,
            )
        except TooManyCheckIns as refused:
            return _refused(request, patient, form, refused.until)
        if not created:
            messages.info(request, "This check-in was already sent; it has been saved once.")
        return redirect("patients:check_in_result", pk=saved.pk)
    return _form_page(request, patient, {"form": form, "baseline": baseline})


def _form_page(request, patient, context, status=200):
    """The check-in page, led by an open red or emergency alarm when there is one
    (issue 13): a patient or carer about to check in again sees first what to do
    about it. Drawn only when the form is shown, never on a check-in that is sent."""
    context = {**context, **open_alarm_context(patient)}
    return render(request, "patients/check_in.html", context, status=status)


def _refused(request, patient, form, until):
    """Over the hour's limit: nothing saved; the form comes back as it was typed, with
    when the next check-in is taken (in the patient's zone) and whom to phone now."""
    return _form_page(
        request,
        patient,
        {
            "form": form,
            "baseline": patient.check_in_context.baseline,
            "limited_until": until,
            "patient_zone": patient.tz,
            "per_hour": settings.CHECK_INS_PER_HOUR,
            "advice": advice_for(patient, AMBER),
        },
        status=429,
    )


@patient_or_carer
def check_in_result(request, patient, pk):
    saved = get_check_in(patient, pk)
    if request.carer:
        audit.record(request, "viewed", patient, obj=saved)
    evaluation = evaluate(saved)
    # A red or emergency check-in of the last 24 hours, not resolved and more urgent
    # than this one, comes first: a later all-clear does not undo it.
    alarm = open_alarm_for(patient)
    leads = alarm is not None and alarm.outranks(saved.urgency)
    return render(
        request,
        "patients/check_in_result.html",
        {
            "check_in": saved,
            "evaluation": evaluation,
            "advice": advice_for(patient, saved.urgency),
            "team_alerted": saved.alerted_at is not None,
            "today": patient.local_date(),
            "alarm": alarm if leads or (alarm and alarm.check_in_id == saved.pk) else None,
            "alarm_leads": leads,
            "alarm_advice": advice_for(patient, alarm.urgency) if leads else None,
        },
    )
