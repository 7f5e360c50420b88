"""The clinic summary for the patient (or their carer): one printable page before an
appointment (patients/summary.py says what it holds and how the period is chosen)."""

from django.shortcuts import render
from django.urls import reverse

from .. import audit
from ..access import patient_or_carer
from ..summary import clinic_summary
from ..templatetags.symptoms import acting_for


@patient_or_carer
def summary(request, patient):
    """The patient's own summary; a carer's view of it is audited, as the history is,
    and leaves out the notebook's questions (the notebook is the patient's alone)."""
    if request.carer:
        audit.record(request, "viewed", patient, obj=patient, detail="clinic summary")
    who = acting_for(request.carer)
    return render(
        request,
        "patients/summary.html",
        {
            "summary": clinic_summary(
                patient, since=request.GET.get("since"), questions=request.carer is None
            ),
            "for_team": False,
            "whose": f"{who}'s" if who else "your",
            "who": who or "you",
            "back": reverse("patients:home"),
            "back_words": "Home",
        },
    )
