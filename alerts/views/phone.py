"""Phone triage: finding a patient, and recording a call with them as a check-in
"entered by a clinician, by phone" (alerts/services/phone.py).

The call page shows the engine's result at once: without JavaScript its "Work out
the result" button draws the page again with it (nothing saved); with it,
static/js/phone_call.js posts the answers to `call_preview` as they change and
shows the fragment it returns."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clinical.catalogue import BY_KEY
from clinical.urgency import AMBER, EMERGENCY, GREEN, RED
from patients import audit
from patients.access import clinician_required, get_patient_for_clinician, patients_for_clinician
from patients.models import AuditEvent, Patient
from patients.services.advice import advice_for

from ..phone_forms import CallForm, PatientSearchForm
from ..services.phone import FormNotOurs, judge_call, record_call

SEARCH_PAGE_SIZE = 20


@clinician_required
def patient_search(request):
    """The patients of the clinician's teams whose name contains the words typed, or
    whose hospital number is the one typed: a page at a time (a count and a page).
    Each patient shown is in the audit trail; the term only as its pseudonym."""
    form = PatientSearchForm(request.GET or None)
    term = form.term() if form.is_bound else ""
    page = None
    if term:
        found = _matching(patients_for_clinician(request.user), term)
        page = Paginator(found, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        _audit_listing(request, [p.pk for p in page], term, page.paginator.count)
    return render(
        request,
        "alerts/patient_search.html",
        {"form": form, "term": term, "page": page, "too_short": form.is_bound and not term},
    )


def _matching(patients, term: str):
    """Every word of `term` in the first or last name (in any order), or the whole
    hospital number (any case)."""
    by_name = Q()
    for word in term.split():
        by_name &= Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
    return (
        patients.filter(by_name | Q(hospital_number__iexact=term))
        .select_related("user", "care_team")
        .annotate(full=Concat("user__last_name", Value(" "), "user__first_name"))
        .order_by("full", "pk")
    )


def _audit_listing(request, ids, term, total) -> None:
    """One "viewed" row a patient shown (one with no patient when none was), in one
    statement; the term only as its keyed hash."""
    detail = f"patient search #{audit.term_ref(term)}: {len(ids)} of {total} shown"
    events = [
        audit.event(request, "viewed", pk, detail=detail, role="clinician") for pk in ids or [None]
    ]
    for event in events:
        event.object_type = Patient._meta.label_lower
    AuditEvent.objects.bulk_create(events)


# What the clinician advises, by the engine's urgency (clinical/REFERENCE.md; the
# same numbers the patient's own advice names, patients.services.advice).
SUGGESTED_ADVICE = {
    EMERGENCY: "attend_now",
    RED: "attend_now",
    AMBER: "same_day",
    GREEN: "call_back",
}


def _result_context(patient, form) -> dict:
    evaluation = form.judged()
    if evaluation is None:
        return {"evaluation": None}
    findings = [(f, BY_KEY.get(f.symptom)) for f in evaluation.findings if f.alerting]
    return {
        "evaluation": evaluation,
        "findings": findings,
        "advice": advice_for(patient, evaluation.urgency),
        "suggested": SUGGESTED_ADVICE[evaluation.urgency],
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
    }


@clinician_required
def call(request, pk):
    """Record a phone call: the answers, the engine's result, the outcome and advice."""
    patient = get_patient_for_clinician(request.user, pk)
    if request.method != "POST":
        audit.record(request, "viewed", patient, obj=patient, role="clinician")
        form = CallForm(baseline=patient.active_baseline)
        return _call_page(request, patient, form)
    form = CallForm(
        request.POST,
        baseline=patient.active_baseline,
        judge=lambda answers: judge_call(patient, answers),
    )
    if "work_out" in request.POST:
        form.work_out()
        return _call_page(request, patient, form)
    if not form.is_valid():
        return _call_page(request, patient, form, status=400)
    data = form.cleaned_data
    try:
        call, created = record_call(
            patient=patient,
            answers=form.answers(),
            outcome=data["outcome"],
            advice=data["advice"],
            override_reason=data["override_reason"],
            note=data["note"],
            free_text=data["free_text"],
            new_medicines=data["new_medicines"],
            form_token=data["form_token"],
            user=request.user,
            actor=request,
        )
    except FormNotOurs:
        form.evaluation = None
        form.add_error(
            None, "This form cannot be saved: open the call page again. Nothing has been saved."
        )
        return _call_page(request, patient, form, status=409)
    except ValueError:
        # Judged again as it was saved, the answers came out more urgent than the
        # page showed (a check-in of the days before arrived meanwhile): nothing saved.
        form.evaluation = None
        form.add_error(
            "override_reason",
            "The result changed while you were recording: read it again and, if you "
            "still choose a lower urgency, write why. Nothing has been saved.",
        )
        return _call_page(request, patient, form, status=409)
    if created:
        messages.success(
            request,
            f"Phone call saved: {call.get_urgency_display().lower()}, "
            f"{call.get_advice_display().lower()}.",
        )
    else:
        messages.info(request, "This call was already saved; it has been saved once.")
    return redirect("alerts:patient", pk=patient.pk)


def _call_page(request, patient, form, status=200):
    context = {
        "patient": patient,
        "baseline": patient.active_baseline,
        "form": form,
        **_result_context(patient, form),
    }
    return render(request, "alerts/call.html", context, status=status)


@clinician_required
@require_POST
def call_preview(request, pk):
    """The engine's result for the answers posted, as the call page's fragment:
    nothing is saved or audited (the page was, when it was opened)."""
    patient = get_patient_for_clinician(request.user, pk)
    form = CallForm(
        request.POST,
        baseline=patient.active_baseline,
        judge=lambda answers: judge_call(patient, answers),
    )
    form.work_out()
    return render(
        request, "alerts/_call_result.html", {"patient": patient, **_result_context(patient, form)}
    )
