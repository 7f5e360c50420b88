"""Who to phone, and when (the care card), and the patient's treatment."""

from django.shortcuts import render

from clinical.urgency import GREEN

from .. import notebook
from ..access import patient_or_carer, patient_required
from ..services.advice import advice_for, note_beyond_hours, whom_to_call
from ..services.open_alarm import open_alarm_context


@patient_or_carer
def contacts(request, patient):
    team_contacts = list(patient.care_team.contacts.filter(active=True).prefetch_related("hours"))
    for contact in team_contacts:
        contact.note = note_beyond_hours(contact.when_to_call)  # hours are said once
    return render(
        request,
        "patients/contacts.html",
        {
            "team": patient.care_team,
            "contacts": team_contacts,
            "advice": advice_for(patient, GREEN),
            "calls": whom_to_call(patient),
            "printed_calls": whom_to_call(patient, printed=True),
            "patient": patient,
            "treatment": patient.treatment,
            "card": request.GET.get("card") == "1",
            "welcome": request.GET.get("welcome") == "1",
            "today": patient.local_date(),
            **open_alarm_context(patient),  # an open red or emergency leads (issue 13)
        },
    )


@patient_required
def treatment(request, patient):
    current = patient.treatment
    today = patient.local_date()
    context = {"treatment": current, "today": today, "team": patient.care_team}
    if current is not None:
        context.update(
            kind=notebook.KIND_EXPLAINED.get(current.kind, current.get_kind_display()),
            status=notebook.STATUS_EXPLAINED.get(current.status),
            next_dose=notebook.next_dose(current, today=today),
        )
    else:
        context["ask"] = patient.care_team.contacts.filter(active=True).order_by("order").first()
    return render(request, "patients/treatment.html", context)
