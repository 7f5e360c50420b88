"""Home: where each person lands: a patient's or carer's dashboard, a carer's choice
of whom they help, a clinician's queue; and a patient's first visit."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clinical.urgency import GREEN

from ..access import (
    CARING_FOR,
    cared_for,
    carer_access_ended,
    carer_link,
    get_carer_link,
    is_clinician,
    patient_or_carer,
    patient_required,
)
from ..forms.check_in import usual_left
from ..services.advice import advice_for
from ..services.open_alarm import open_alarm_for, open_alarms_for


@login_required
def home(request):
    if hasattr(request.user, "patient"):
        return dashboard(request)
    if is_clinician(request.user):
        return redirect("alerts:queue")
    links = cared_for(request.user)
    if links:
        if carer_link(request) is None or (len(links) > 1 and "choose" in request.GET):
            return _choose(request, links)
        return dashboard(request)
    if request.user.is_staff:
        return redirect("admin:index")
    ended = carer_access_ended(request.user)
    return render(request, "patients/no_role.html", {"carer_access_ended": ended})


def _choose(request, links):
    """Whom the carer is helping, led by any of those patients' open alarms (issue 13,
    item 2): the alarms in one query, whom to phone only for a patient who has one."""
    alarms = open_alarms_for(link.patient_id for link in links)
    for link in links:
        link.alarm = alarms.get(link.patient_id)
        link.alarm_advice = advice_for(link.patient, link.alarm.urgency) if link.alarm else None
    return render(
        request,
        "patients/carer_choose.html",
        {"links": links, "alarmed": [link for link in links if link.alarm]},
    )


@patient_or_carer
def dashboard(request, patient):
    today = patient.local_date()
    latest = patient.check_ins.filter(local_date=today).first()
    alarm = open_alarm_for(patient)
    return render(
        request,
        "patients/dashboard.html",
        {
            "patient": patient,
            "baseline": patient.active_baseline,
            # An older usual with questions left blank: the patient is asked to complete it.
            "usual_left": len(usual_left(patient.active_baseline)),
            "today_check_in": latest,
            # A red or emergency check-in of the last 24 hours, not resolved: home
            # leads with whom to call, however many check-ins came after it.
            "alarm": alarm,
            "alarm_advice": advice_for(patient, alarm.urgency) if alarm else None,
            "advice": advice_for(patient, GREEN),
            "other_links": len(cared_for(request.user)) > 1 if request.carer else False,
        },
    )


@login_required
@require_POST
def choose_patient(request, pk):
    """A carer of several patients chooses whom they are helping now."""
    link = get_carer_link(request.user, pk)
    request.session[CARING_FOR] = link.pk
    return redirect("patients:home")


@patient_required
def first_visit(request, patient):
    """Why the usual matters, before the patient records it."""
    return render(
        request,
        "patients/first_visit.html",
        {"patient": patient, "baseline": patient.active_baseline},
    )
