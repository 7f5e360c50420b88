from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from patients.access import clinician_required, get_patient_for_clinician
from patients.catalogue import BY_KEY, ITEMS
from patients.models import Treatment

from . import services
from .models import Flag


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: phoned the patient, advised to attend the assessment unit.",
    )


def flags_for(user):
    """Flags of the patients of the clinician's teams, with what a row shows."""
    return (
        Flag.objects.filter(check_in__patient__care_team__memberships__user=user)
        .select_related(
            "check_in__patient__user", "check_in__patient__care_team", "check_in__baseline"
        )
        .prefetch_related(
            Prefetch(
                "check_in__patient__treatments",
                queryset=Treatment.objects.order_by("-start_date", "-pk"),
            )
        )
    )


@clinician_required
def queue(request):
    status = request.GET.get("status", "active")
    shown = flags_for(request.user)
    if status == "resolved":
        shown = shown.filter(status="resolved").order_by("-resolved_at")[:100]
    else:
        status = "active"
        shown = shown.filter(status__in=["open", "acknowledged"]).most_urgent_first()
    rows = [(flag, BY_KEY.get(flag.symptom), _treatment(flag)) for flag in shown]
    return render(request, "alerts/queue.html", {"rows": rows, "status": status})


def _treatment(flag):
    treatments = flag.check_in.patient.treatments.all()
    return treatments[0] if treatments else None


@clinician_required
def flag_detail(request, pk):
    return _flag_page(request, get_object_or_404(flags_for(request.user), pk=pk), ResolveForm())


def _flag_page(request, flag, resolve_form, status=200):
    check_in = flag.check_in
    baseline = check_in.baseline
    answers = [
        (
            item,
            getattr(check_in, item.key),
            getattr(baseline, item.key, None) if item.has_baseline else None,
        )
        for item in ITEMS
        if getattr(check_in, item.key) is not None
    ]
    alert = getattr(check_in, "alert", None)
    return render(
        request,
        "alerts/flag_detail.html",
        {
            "flag": flag,
            "item": BY_KEY.get(flag.symptom),
            "check_in": check_in,
            "patient": check_in.patient,
            "treatment": _treatment(flag),
            "answers": answers,
            "other_flags": check_in.flags.exclude(pk=flag.pk),
            "alert": alert,
            "notifications": alert.notifications.select_related("contact") if alert else [],
            "resolve_form": resolve_form,
        },
        status=status,
    )


@clinician_required
@require_POST
def acknowledge(request, pk):
    flag = get_object_or_404(flags_for(request.user), pk=pk)
    if services.acknowledge_flag(flag, request.user):
        messages.success(request, "Acknowledged: escalation has stopped for this check-in.")
    else:
        messages.info(request, "This flag was already acknowledged.")
    return redirect("alerts:flag", pk=flag.pk)


@clinician_required
@require_POST
def resolve(request, pk):
    flag = get_object_or_404(flags_for(request.user), pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _flag_page(request, flag, form, status=400)
    if services.resolve_flag(flag, request.user, note=form.cleaned_data["note"]):
        messages.success(request, "Resolved.")
    else:
        messages.info(request, "This flag was already resolved.")
    return redirect("alerts:queue")


@clinician_required
def patient_timeline(request, pk):
    patient = get_patient_for_clinician(request.user, pk)
    check_ins = patient.check_ins.select_related("baseline").prefetch_related("flags")[:30]
    baseline = patient.active_baseline
    return render(
        request,
        "alerts/patient.html",
        {
            "patient": patient,
            "treatment": patient.treatment,
            "baseline": baseline,
            "baseline_rows": [
                (i, getattr(baseline, i.key)) for i in ITEMS if baseline and i.has_baseline
            ],
            "check_ins": check_ins,
            "items": ITEMS,
        },
    )
