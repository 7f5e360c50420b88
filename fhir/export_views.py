"""Bulk export's URLs (FHIR Bulk Data Access, fhir/export.py): the kick-off at system
and Group level, the status URL (poll; DELETE cancels) and the files. Every one is a
`token_view`: the job and its files are its client's alone, and another client's,
or one expired, is a 404 like one that never was. The kick-off and every file
downloaded are in the audit trail as the client (the worker adds a row a patient)."""

from django.http import FileResponse
from django.urls import reverse
from django.utils.http import http_date

from . import export
from .audit import record_reads
from .auth import token_view
from .models import ExportJob
from .models.export import COMPLETED, FAILED
from .responses import ApiError, fhir_response, not_found


def _require_async(request) -> None:
    """Bulk Data's kick-off headers: `Prefer: respond-async` and `Accept:
    application/fhir+json` (the type of its errors), or 400."""
    prefer = [p.strip() for p in request.headers.get("Prefer", "").split(",")]
    if "respond-async" not in prefer:
        raise ApiError(400, "invalid", "$export needs the header 'Prefer: respond-async'.")
    accept = [a.split(";")[0].strip() for a in request.headers.get("Accept", "").split(",")]
    if "application/fhir+json" not in accept:
        raise ApiError(400, "invalid", "$export needs the header 'Accept: application/fhir+json'.")


def _kick_off(request, *, team_ids, group_id):
    _require_async(request)
    types, since = export.export_parameters(request.client, request.GET)
    job = export.start_export(
        request.client,
        team_ids=team_ids,
        group_id=group_id,
        types=types,
        since=since,
        request_url=request.build_absolute_uri(),
    )
    where = f"Group/{group_id}/$export" if group_id else "$export"
    record_reads(
        request,
        [None],
        model=ExportJob,
        detail=f"{where} started: {','.join(types)}"
        + (f" since {since:%Y-%m-%d}" if since else ""),
        object_id=str(job.pk),
    )
    status_url = request.build_absolute_uri(reverse("fhir:export_status", args=[job.pk]))
    accepted = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": f"Export accepted: poll {status_url}",
            }
        ],
    }
    return fhir_response(accepted, 202, {"Content-Location": status_url})


@token_view
def system_export(request):
    return _kick_off(request, team_ids=list(request.client.team_ids), group_id=None)


@token_view
def group_export(request, pk):
    team_id = int(pk) if pk.isascii() and pk.isdecimal() and len(pk) < 18 else None
    if team_id not in request.client.team_ids:
        raise not_found("Group", pk)
    return _kick_off(request, team_ids=[team_id], group_id=team_id)


def _job(request, job_id):
    """The client's export, while every team it covers is still one of the client's:
    a team taken away from a client takes its exports' files with it."""
    job = export.job_of(request.client, job_id)
    if job is None or not set(job.team_ids) <= set(request.client.team_ids):
        raise ApiError(404, "not-found", "No such export (or it has expired).")
    return job


@token_view(methods=("GET", "HEAD", "DELETE"))
def export_status(request, job_id):
    """202 with X-Progress while it runs; 200 and the manifest when done; 500 and an
    OperationOutcome when it failed. DELETE cancels it and deletes its files (202)."""
    job = _job(request, job_id)
    if request.method == "DELETE":
        export.cancel_export(job)
        return fhir_response(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "information", "code": "informational", "diagnostics": "Deleted"}
                ],
            },
            202,
        )
    if job.status == FAILED:
        raise ApiError(500, "exception", f"The export failed: {job.error or 'unknown error'}.")
    if job.status != COMPLETED:
        return fhir_response(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "information", "code": "informational", "diagnostics": job.status}
                ],
            },
            202,
            {"X-Progress": job.progress or job.status, "Retry-After": "5"},
        )
    files_base = request.build_absolute_uri(reverse("fhir:export_file", args=[job.pk, "x"]))
    response = fhir_response(
        export.manifest(job, files_base=files_base.rsplit("/", 1)[0]),
        headers={"Expires": http_date(job.expires_at.timestamp())},
    )
    response["Content-Type"] = "application/json"
    return response


@token_view
def export_file(request, job_id, name):
    job = _job(request, job_id)
    path = export.file_path(job, name)
    if path is None or not path.is_file():
        raise ApiError(404, "not-found", "No such file in this export.")
    entry = next(f for f in job.output if f["file"] == name)
    request.client.require(entry["type"])  # this token's scopes, not the kick-off's
    count = entry["count"]
    record_reads(
        request,
        [None],
        model=ExportJob,
        detail=f"$export file {name} ({count} resources)",
        object_id=str(job.pk),
    )
    try:
        opened = path.open("rb")
    except FileNotFoundError:  # deleted by the expiry sweep a moment ago
        raise ApiError(404, "not-found", "No such file in this export.") from None
    response = FileResponse(opened, content_type="application/fhir+ndjson")
    response["Cache-Control"] = "no-store, private"
    return response
