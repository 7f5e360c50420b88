"""The usual (baseline), the daily check-in, and what the patient is told after it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from clinical.catalogue import BASELINE_ITEMS

from .. import audit
from ..access import get_check_in, patient_or_carer, patient_required
from ..forms.check_in import BaselineForm, CheckInForm, usual_filled_form
from ..services.advice import advice_for
from ..services.check_ins import evaluate, record_baseline, record_check_in
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
    return render(
        request, "patients/baseline.html", {"form": form, "current": current, "rows": rows}
    )


@patient_or_carer
def check_in(request, patient):
    baseline = patient.active_baseline
    who = acting_for(request.carer)
    # An "as usual" button pressed without JavaScript: show the form filled in, save nothing.
    refilled = usual_filled_form(request.POST, baseline=baseline, who=who)
    if refilled is not None:
        return render(request, "patients/check_in.html", {"form": refilled, "baseline": baseline})
    form = CheckInForm(request.POST or None, baseline=baseline, who=who)
    if request.method == "POST" and form.is_valid():
        saved, _evaluation, created = record_check_in(
            patient=patient,
            answers=form.answers(),
            entered_by="carer" if request.carer else "patient",
            user=request.user,
            free_text=form.cleaned_data["free_text"],
            new_medicines=form.cleaned_data["new_medicines"],
            form_token=form.cleaned_data["form_token"],
        )
        if created:
            audit.record(request, "created", patient, obj=saved)
        if not created:
            messages.info(request, "This check-in was already sent; it has been saved once.")
        return redirect("patients:check_in_result", pk=saved.pk)
    return render(request, "patients/check_in.html", {"form": form, "baseline": baseline})


@patient_or_carer
def check_in_result(request, patient, pk):
    saved = get_check_in(patient, pk)
    if request.carer:
        audit.record(request, "viewed", patient, obj=saved)
    evaluation = evaluate(saved)
    return render(
        request,
        "patients/check_in_result.html",
        {
            "check_in": saved,
            "evaluation": evaluation,
            "advice": advice_for(patient, saved.urgency),
            "team_alerted": saved.alerted_at is not None,
            "today": patient.local_date(),
        },
    )
