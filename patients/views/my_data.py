"""My data: the patient downloads everything the service holds about them, as
JSON or as a ZIP of CSV files. For the patient only: a carer gets a 404."""

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from .. import audit
from ..access import patient_required
from ..privacy import export_json, export_tables, export_zip


@patient_required
def my_data(request, patient):
    return render(
        request,
        "patients/my_data.html",
        {"patient": patient, "tables": export_tables(patient), "team": patient.care_team},
    )


@patient_required
def export_as_json(request, patient):
    with transaction.atomic():
        data = export_json(patient, export_tables(patient))
        audit.record(request, "exported", patient, obj=patient, detail="JSON")
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    return _download(response, _filename(patient, "json"))


@patient_required
def export_as_csv(request, patient):
    with transaction.atomic():
        archive = export_zip(patient, export_tables(patient))
        audit.record(request, "exported", patient, obj=patient, detail="CSV (ZIP)")
    return _download(
        HttpResponse(archive, content_type="application/zip"), _filename(patient, "zip")
    )


def _filename(patient, extension: str) -> str:
    return f"my-symptom-tracker-data-{patient.local_date(timezone.now()):%Y-%m-%d}.{extension}"


def _download(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # a shared computer must not keep a copy
    return response
