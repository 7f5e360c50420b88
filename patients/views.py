from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from alerts import services as alert_services
from alerts.models import Alert

from .access import get_own_check_in, is_clinician, patient_required
from .catalogue import BASELINE_ITEMS
from .forms import BaselineForm, CheckInForm
from .services import advice_for, record_baseline, record_check_in


@login_required
def home(request):
    if hasattr(request.user, "patient"):
        return dashboard(request)
    if is_clinician(request.user):
        return redirect("alerts:queue")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "patients/no_role.html")


@patient_required
def dashboard(request, patient):
    today = patient.local_date()
    return render(
        request,
        "patients/dashboard.html",
        {
            "patient": patient,
            "baseline": patient.active_baseline,
            "today_check_in": patient.check_ins.filter(local_date=today).first(),
            "advice": advice_for(patient, "green"),
        },
    )


@patient_required
def baseline(request, patient):
    current = patient.active_baseline
    form = BaselineForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        record_baseline(patient=patient, values=form.values(), recorded_by=request.user)
        messages.success(
            request, "Your usual has been saved. Check-ins from now on are compared with it."
        )
        return redirect("patients:home")
    rows = [(item, getattr(current, item.key)) for item in BASELINE_ITEMS] if current else []
    return render(
        request, "patients/baseline.html", {"form": form, "current": current, "rows": rows}
    )


@patient_required
def check_in(request, patient):
    baseline = patient.active_baseline
    form = CheckInForm(request.POST or None, baseline=baseline)
    if request.method == "POST" and form.is_valid():
        saved, _evaluation, created = record_check_in(
            patient=patient,
            answers=form.answers(),
            entered_by="patient",
            user=request.user,
            free_text=form.cleaned_data["free_text"],
            new_medicines=form.cleaned_data["new_medicines"],
            form_token=form.cleaned_data["form_token"],
        )
        if not created:
            messages.info(request, "This check-in was already sent; it has been saved once.")
        return redirect("patients:check_in_result", pk=saved.pk)
    return render(request, "patients/check_in.html", {"form": form, "baseline": baseline})


@patient_required
def check_in_result(request, patient, pk):
    saved = get_own_check_in(request.user, pk)
    evaluation = alert_services.evaluate(saved)
    return render(
        request,
        "patients/check_in_result.html",
        {
            "check_in": saved,
            "evaluation": evaluation,
            "advice": advice_for(patient, saved.urgency),
            "alert": Alert.objects.filter(check_in=saved).first(),
            "today": patient.local_date(),
        },
    )


@patient_required
def check_in_list(request, patient):
    page = Paginator(patient.check_ins.all(), 20).get_page(request.GET.get("page"))
    return render(request, "patients/check_in_list.html", {"page": page})


@patient_required
def contacts(request, patient):
    team_contacts = patient.care_team.contacts.filter(active=True).prefetch_related("hours")
    return render(
        request,
        "patients/contacts.html",
        {
            "team": patient.care_team,
            "contacts": team_contacts,
            "advice": advice_for(patient, "green"),
        },
    )
