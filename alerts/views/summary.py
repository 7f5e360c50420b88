"""The clinic summary for the care team: the patient's one printable page, printed
from their page (the same service and template as the patient's own)."""

from django.shortcuts import render
from django.urls import reverse

from patients import audit
from patients.access import clinician_required, get_patient_for_clinician
from patients.summary import clinic_summary


@clinician_required
def patient_summary(request, pk):
    """A patient of the viewer's teams (404 for anyone else's), audited as the
    patient's page is."""
    patient = get_patient_for_clinician(request.user, pk)
    audit.record(request, "viewed", patient, obj=patient, role="clinician", detail="clinic summary")
    who = patient.user.first_name or patient.name
    return render(
        request,
        "patients/summary.html",
        {
            "summary": clinic_summary(patient, since=request.GET.get("since")),
            "for_team": True,
            "whose": f"{who}'s",
            "who": who,
            "back": reverse("alerts:patient", args=[patient.pk]),
            "back_words": f"{patient.name}'s page",
        },
    )
