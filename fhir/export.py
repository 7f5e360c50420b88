"""FHIR Bulk Data export ($export): a client's teams' records as NDJSON files, written
by a worker on the exports queue, polled for, downloaded, and deleted when they expire.

1. Kick-off (fhir/export_views.py): `start_export` checks `_type`, `_since` and the
   client's scopes, and writes an ExportJob (accepted) for the client's teams (or the
   one team of Group/{id}/$export); a client with an export in progress is refused,
   by the database's constraint as much as by the check. The task is queued on commit.
2. The worker (`run_export`) claims the job (accepted -> running, so that a task run
   twice writes once), then for each type writes `<type>.ndjson` under
   FHIR_EXPORT_DIR/<job id>/: rows read FHIR_EXPORT_BATCH at a time in primary-key
   order (a keyset: memory and queries a batch, whatever the number of patients),
   one resource a line. Between batches it checks the job still exists: a client
   that cancelled (DELETE) stops it, and its folder goes.
3. Done, it writes one "exported" row in the audit trail for each patient the export
   covers (in batches too), and the manifest's entries; the job and its files then
   live FHIR_EXPORT_TTL_HOURS, and `delete_expired_exports` (beat) removes both.

The teams are those the client holds when the worker runs as well as at the kick-off:
a team taken from the client (or a revoked client) in between is not exported.
`_since` keeps resources changed at or after it where the tracker keeps a change time
(check-ins, flags, episodes, notifications); Patient, CareTeam, Organization and
Practitioner have none, so they are always written whole.
"""

import json
import logging
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from base.tasks import queue_after_commit
from patients.access import for_teams
from patients.audit import patient_ref
from patients.models import AuditEvent, Flag, Patient

from . import builders, queries
from .models import ClientAccess, ExportJob
from .models.export import ACCEPTED, COMPLETED, FAILED, IN_PROGRESS, RUNNING
from .responses import ApiError
from .scopes import allows

log = logging.getLogger(__name__)

# The types an export writes, in this order (the manifest's too).
EXPORT_TYPES = (
    "Patient",
    "CareTeam",
    "Organization",
    "Practitioner",
    "QuestionnaireResponse",
    "Observation",
    "Flag",
    "DetectedIssue",
    "Communication",
)
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
KICK_OFF_PARAMETERS = {"_type", "_since", "_outputFormat"}


# Kick-off.


def export_parameters(client, params) -> tuple[list[str], object]:
    """(types, since) of a kick-off's query, or ApiError: 400 for an unknown parameter,
    type or format and a bad `_since`, 403 for a type the token may not read. No
    `_type`: every type the token may read."""
    unknown = sorted(set(params) - KICK_OFF_PARAMETERS)
    if unknown:
        raise ApiError(400, "not-supported", f"$export does not take {unknown[0][:40]!r} here.")
    if any(len(params.getlist(name)) > 1 for name in params):
        raise ApiError(400, "invalid", "Give each $export parameter once.")
    output_format = params.get("_outputFormat")
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise ApiError(400, "not-supported", "_outputFormat: application/fhir+ndjson only.")
    if params.get("_type"):
        types = [t.strip() for t in params["_type"].split(",") if t.strip()]
        bad = [t for t in types if t not in EXPORT_TYPES]
        if bad or not types:
            raise ApiError(
                400,
                "not-supported",
                f"_type: {bad[0][:40] if bad else ''!r} is not exported; "
                f"one or more of {', '.join(EXPORT_TYPES)}.",
            )
        for kind in types:
            client.require(kind)
        types = [t for t in EXPORT_TYPES if t in types]
    else:
        types = [t for t in EXPORT_TYPES if allows(client.scopes, t)]
        if not types:
            client.require(EXPORT_TYPES[0])
    return types, _since(params.get("_since"))


def _since(value: str | None):
    """`_since`: a FHIR instant (a date and time with its zone), or ApiError 400."""
    if value is None:
        return None
    try:
        moment = parse_datetime(value.replace(" ", "+"))  # a '+' unescaped in the URL
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(
            400, "invalid", "_since: an instant with its time zone, e.g. 2026-01-01T00:00:00Z."
        )
    return moment


def start_export(client, *, team_ids, group_id, types, since, request_url) -> ExportJob:
    """Write the job (accepted) and queue its task on commit; ApiError 429 when the
    client has an export in progress."""
    now = timezone.now()
    if ExportJob.objects.filter(client=client.access, status__in=IN_PROGRESS).exists():
        raise _busy()
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                client=client.access,
                team_ids=sorted(team_ids),
                group_id=group_id,
                types=types,
                since=since,
                request_url=request_url[:1000],
                created_at=now,
                expires_at=now + _ttl(),
            )
    except IntegrityError:  # another kick-off of the same client won the race
        raise _busy() from None
    queue_after_commit(run_export, str(job.pk))
    return job


def _busy() -> ApiError:
    return ApiError(
        429,
        "throttled",
        "An export of this client is in progress: wait for it, or cancel it (DELETE its "
        "status URL), before starting another.",
        headers={"Retry-After": "60"},
    )


def _ttl() -> timedelta:
    return timedelta(hours=settings.FHIR_EXPORT_TTL_HOURS)


# The worker.


def folder(job_id) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(job_id)


def file_name(kind: str) -> str:
    return f"{kind}.ndjson"


class Cancelled(Exception):
    """The job's row went (DELETE on its status URL) while it was being written."""


def run_export(job_id: str, *, now=None) -> None:
    """Write the files of an accepted job (see the module's steps); a second run, or
    one for a job cancelled or gone, does nothing."""
    now = now or timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ACCEPTED).update(
        status=RUNNING, started_at=now, beat_at=now, progress="starting"
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("client__application").get(pk=job_id)
    where = folder(job.pk)
    try:
        team_ids = _live_team_ids(job)
        where.mkdir(parents=True, exist_ok=True)
        output = []
        for kind in job.types:
            _progress(job, f"writing {kind} ({len(output)} of {len(job.types)} types done)")
            count = write_type(job, kind, team_ids, where / file_name(kind))
            if count:
                output.append({"type": kind, "file": file_name(kind), "count": count})
        _progress(job, "recording the export in the audit trail")
        _audit(job, team_ids)
    except Cancelled:
        shutil.rmtree(where, ignore_errors=True)
        return
    except Exception as exc:
        log.exception("export %s failed", job.pk)
        shutil.rmtree(where, ignore_errors=True)
        error = exc.args[0] if isinstance(exc, ExportRefused) else "the export failed"
        finished = timezone.now()
        ExportJob.objects.filter(pk=job.pk).update(
            status=FAILED, error=error, finished_at=finished, expires_at=finished + _ttl()
        )
        return
    finished = timezone.now()
    done = ExportJob.objects.filter(pk=job.pk, status=RUNNING).update(
        status=COMPLETED,
        output=output,
        progress="done",
        finished_at=finished,
        expires_at=finished + _ttl(),
    )
    if not done:  # cancelled after the last batch
        shutil.rmtree(where, ignore_errors=True)


class ExportRefused(Exception):
    """The export may not run (its client revoked): told to the client as its error."""


def _live_team_ids(job) -> list[int]:
    access = ClientAccess.objects.get(pk=job.client_id)
    if access.revoked_at is not None:
        raise ExportRefused("the client's access was revoked")
    current = set(access.teams.values_list("pk", flat=True))
    return sorted(current.intersection(job.team_ids))


def _progress(job, text: str | None = None) -> None:
    """Mark the job alive (beat_at) and say what it does; Cancelled when it is no longer
    running (deleted by its client, or failed by the sweep as stale)."""
    changes = {"beat_at": timezone.now()}
    if text is not None:
        changes["progress"] = text[:100]
    if not ExportJob.objects.filter(pk=job.pk, status=RUNNING).update(**changes):
        raise Cancelled


def write_type(job, kind: str, team_ids, path: Path) -> int:
    """Write every resource of `kind` the job covers to `path`, one a line, reading
    FHIR_EXPORT_BATCH rows at a time; returns how many (an empty file is removed)."""
    rows, build = SOURCES[kind](for_teams(Patient.objects.all(), team_ids), team_ids, job.since)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for batch in batches(rows, settings.FHIR_EXPORT_BATCH):
            _progress(job)  # alive, and not cancelled
            for row in batch:
                for resource in build(row):
                    out.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False))
                    out.write("\n")
                    count += 1
    if not count:
        path.unlink()
    return count


def batches(queryset, size: int):
    """The rows of `queryset` in primary-key order, `size` at a time (keyset paging:
    each batch is one query, plus its prefetches, however far in)."""
    queryset = queryset.order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


# What each type reads: (patients, team ids, since) -> (rows, row -> resources).


def _patients(patients, team_ids, since):
    rows = queries.patients().filter(pk__in=patients.values("pk"))
    return rows, lambda p: [builders.patient_resource(p)]


def _teams(builder):
    def source(patients, team_ids, since):
        return queries.care_teams().filter(pk__in=team_ids), lambda t: [builder(t)]

    return source


def _practitioners(patients, team_ids, since):
    User = get_user_model()
    members = User.objects.filter(team_memberships__team__in=team_ids).values("pk")
    return User.objects.filter(pk__in=members), lambda u: [builders.practitioner_resource(u)]


def _check_ins(build):
    def source(patients, team_ids, since):
        rows = queries.check_ins_of(patients)
        if since is not None:
            rows = rows.filter(submitted_at__gte=since)
        return rows, build

    return source


def _episodes(patients, team_ids, since):
    rows = queries.episodes_of(patients)
    if since is not None:
        newer_flag = Flag.objects.filter(episode=OuterRef("pk"), created_at__gte=since)
        rows = rows.filter(Q(opened_at__gte=since) | Q(resolved_at__gte=since) | Exists(newer_flag))
    return rows, lambda e: [builders.flag_resource(e)]


def _flags(patients, team_ids, since):
    rows = queries.flags_of(patients)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows, lambda f: [builders.detected_issue_resource(f)]


def _notifications(patients, team_ids, since):
    rows = queries.notifications_of(patients)
    if since is not None:
        rows = rows.filter(Q(created_at__gte=since) | Q(sent_at__gte=since))
    return rows, lambda n: [builders.communication_resource(n)]


SOURCES = {
    "Patient": _patients,
    "CareTeam": _teams(builders.care_team_resource),
    "Organization": _teams(builders.organization_resource),
    "Practitioner": _practitioners,
    "QuestionnaireResponse": _check_ins(lambda c: [builders.questionnaire_response_resource(c)]),
    "Observation": _check_ins(builders.observation_resources),
    "Flag": _episodes,
    "DetectedIssue": _flags,
    "Communication": _notifications,
}


def _audit(job, team_ids) -> None:
    """One "exported" row a patient the export covers, as the client (role system),
    written a batch at a time."""
    client = job.client.application
    common = {
        "actor_id": None,
        "actor_label": f"API client {client.name}"[:150],
        "actor_role": "system",
        "action": "exported",
        "object_type": ExportJob._meta.label_lower,
        "object_id": str(job.pk),
        "detail": f"FHIR $export {','.join(job.types)} (client {client.client_id})"[:300],
    }
    ids = for_teams(Patient.objects.all(), team_ids).values_list("pk", flat=True).order_by("pk")
    last = 0
    while chunk := list(ids.filter(pk__gt=last)[: settings.FHIR_EXPORT_BATCH]):
        AuditEvent.objects.bulk_create(
            AuditEvent(patient_id=pk, patient_ref=patient_ref(pk), **common) for pk in chunk
        )
        last = chunk[-1]


# Status, files, cancelling, expiry.


def job_of(client, job_id, *, now=None):
    """The client's job of that id, not expired, or None (another client's is None)."""
    return ExportJob.objects.filter(
        pk=job_id, client=client.access, expires_at__gt=now or timezone.now()
    ).first()


def manifest(job, *, files_base: str) -> dict:
    """The completion manifest (Bulk Data Access): a URL, type and count a file."""
    return {
        "transactionTime": builders.instant(job.started_at or job.created_at),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f["type"], "url": f"{files_base}/{f['file']}", "count": f["count"]}
            for f in job.output
        ],
        "error": [],
    }


def file_path(job, name: str) -> Path | None:
    """The path of one of a completed job's files by its name, or None (a name that is
    not one of its manifest's is never opened: no path is built from the URL)."""
    if job.status != COMPLETED:
        return None
    for entry in job.output:
        if entry["file"] == name:
            return folder(job.pk) / entry["file"]
    return None


def cancel_export(job) -> None:
    """Delete the job and its files; a worker writing it stops at its next batch."""
    ExportJob.objects.filter(pk=job.pk).delete()
    shutil.rmtree(folder(job.pk), ignore_errors=True)


STOPPED = "the export stopped before it was done (its worker went away): start it again"


def fail_stale_exports(*, now=None) -> int:
    """Fail the exports that stopped: running with no batch written, or accepted and
    never started, for FHIR_EXPORT_STALE_MINUTES (a worker that died, a task the broker
    lost). Their clients may start another at once; returns how many."""
    now = now or timezone.now()
    before = now - timedelta(minutes=settings.FHIR_EXPORT_STALE_MINUTES)
    stale = Q(status=RUNNING, beat_at__lt=before) | Q(status=ACCEPTED, created_at__lt=before)
    return ExportJob.objects.filter(stale).update(
        status=FAILED, error=STOPPED, finished_at=now, expires_at=now + _ttl()
    )


def delete_expired_exports(*, now=None) -> int:
    """Fail the exports that stopped (fail_stale_exports), then delete the jobs past
    their expiry and their folders; returns how many were deleted."""
    now = now or timezone.now()
    fail_stale_exports(now=now)
    expired = list(ExportJob.objects.filter(expires_at__lte=now).values_list("pk", flat=True))
    for pk in expired:
        ExportJob.objects.filter(pk=pk).delete()
        shutil.rmtree(folder(pk), ignore_errors=True)
    return len(expired)
