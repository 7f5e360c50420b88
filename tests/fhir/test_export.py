"""Bulk export ($export, in-process): the kick-off and its errors, polling, the
manifest, NDJSON files validated line by line as R4, a client's teams only, one
export at a time, cancelling, expiry and its sweep, the audit trail, and queries
that do not grow with the number of patients. The real worker's run is in
test_export_worker.py."""
# ruff: noqa: F811 (the fixtures `epr` and `token` are imported from .api)

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fhir import export
from fhir.models import ExportJob
from fhir.oauth import create_client, revoke_client
from fhir.validation import validate
from patients.models import AuditEvent
from tests.factories import BaselineFactory, PatientFactory

from .api import epr, get, ok, outcome, token, token_for  # noqa: F401
from .helpers import story

pytestmark = pytest.mark.django_db

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    return settings.FHIR_EXPORT_DIR


@pytest.fixture
def told(patient, nurse, carer, other_patient):
    story(other_patient)  # another team's: never in alice's team's exports
    return story(patient, nurse=nurse, carer=carer)


def kick_off(client, token, path="$export", headers=ASYNC, **params):
    return client.get(f"/fhir/r4/{path}", params, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def started(client, token, django_capture_on_commit_callbacks, path="$export", **params):
    """Kick off and let the (eager) task run; returns the status URL."""
    with django_capture_on_commit_callbacks(execute=True):
        response = kick_off(client, token, path, **params)
    assert response.status_code == 202, response.content
    return response["Content-Location"]


def manifest_of(client, token, status_url) -> dict:
    response = get(client, token, status_url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def download(client, token, url) -> list[dict]:
    """A file's resources, each line parsed and validated as R4."""
    response = get(client, token, url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\n")
    return [validate(json.loads(line)) for line in text.splitlines()]


def patients_in(resources) -> set[str]:
    found = set()
    for r in resources:
        if r["resourceType"] == "Patient":
            found.add(r["id"])
        for key in ("subject", "patient"):
            if key in r:
                found.add(r[key]["reference"].removeprefix("Patient/"))
    return found


def test_an_export_writes_a_file_a_type_of_the_clients_teams_only(
    client, token, told, patient, other_patient, django_capture_on_commit_callbacks
):
    status_url = started(client, token, django_capture_on_commit_callbacks)

    assert "/fhir/r4/$export-status/" in status_url
    manifest = manifest_of(client, token, status_url)
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"] == "http://testserver/fhir/r4/$export"
    assert manifest["transactionTime"].endswith("+00:00")
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts == {
        "Patient": 1,
        "CareTeam": 1,
        "Organization": 1,
        "Practitioner": 1,  # nadia, the team's nurse
        "QuestionnaireResponse": 5,
        "Observation": counts["Observation"],
        "Flag": 2,
        "DetectedIssue": 4,
        "Communication": 10,
    }
    everything = []
    for entry in manifest["output"]:
        resources = download(client, token, entry["url"])
        assert len(resources) == entry["count"]
        assert {r["resourceType"] for r in resources} == {entry["type"]}
        everything += resources
    assert patients_in(everything) == {str(patient.pk)}
    assert str(other_patient.pk) not in patients_in(everything)


def test_each_export_is_in_the_audit_trail(
    client, token, told, patient, epr, django_capture_on_commit_callbacks
):
    status_url = started(client, token, django_capture_on_commit_callbacks, _type="Patient")
    job = ExportJob.objects.get()
    url = manifest_of(client, token, status_url)["output"][0]["url"]
    download(client, token, url)

    rows = AuditEvent.objects.filter(object_id=str(job.pk)).order_by("pk")
    kicked, exported, fetched = rows
    assert kicked.actor_role == "system" and kicked.actor_label == "API client Epic EPR"
    assert "$export started: Patient" in kicked.detail
    assert exported.action == "exported" and exported.patient_id == patient.pk
    assert epr[0].application.client_id in exported.detail
    assert fetched.action == "viewed" and "Patient.ndjson" in fetched.detail


def test_a_group_export_is_one_care_team(
    client, token, told, patient, team, django_capture_on_commit_callbacks
):
    group = ok(get(client, token, f"Group/{team.pk}"))
    assert group["resourceType"] == "Group" and group["quantity"] == 1
    status_url = started(
        client,
        token,
        django_capture_on_commit_callbacks,
        f"Group/{team.pk}/$export",
        _type="Patient,Flag",
    )
    manifest = manifest_of(client, token, status_url)
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Flag"]
    assert manifest["request"].endswith(f"/Group/{team.pk}/$export?_type=Patient%2CFlag")


def test_since_keeps_what_changed_after_it(client, token, told, django_capture_on_commit_callbacks):
    since = (timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status_url = started(
        client,
        token,
        django_capture_on_commit_callbacks,
        _type="QuestionnaireResponse,Patient",
        _since=since,
    )
    counts = {o["type"]: o["count"] for o in manifest_of(client, token, status_url)["output"]}
    # The carer's and the nurse's check-ins of the last hours; the patient always.
    assert counts == {"Patient": 1, "QuestionnaireResponse": 2}


@pytest.mark.parametrize(
    ("headers", "params", "words"),
    [
        ({"HTTP_ACCEPT": "application/fhir+json"}, {}, "Prefer: respond-async"),
        ({"HTTP_PREFER": "respond-async"}, {}, "Accept: application/fhir+json"),
        (ASYNC, {"_type": "Patient,Medication"}, "'Medication' is not exported"),
        (ASYNC, {"_type": "Questionnaire"}, "'Questionnaire' is not exported"),
        (ASYNC, {"_since": "yesterday"}, "_since"),
        (ASYNC, {"_since": "2026-01-01T00:00:00"}, "_since"),  # no time zone
        (ASYNC, {"_typeFilter": "Flag?status=active"}, "_typeFilter"),
        (ASYNC, {"_outputFormat": "text/csv"}, "_outputFormat"),
    ],
)
def test_a_bad_kick_off_is_a_400_and_starts_nothing(client, token, headers, params, words):
    response = kick_off(client, token, headers=headers, **params)

    body = outcome(response, 400)
    assert words in body["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()


def test_a_kick_off_needs_a_token_the_scope_and_the_clients_group(
    client, team, other_team, patient
):
    assert kick_off(client, "").status_code == 401
    access, secret = create_client(name="Flags only", teams=[team], scopes="system/Flag.read")
    narrow = token_for(client, access, secret)
    outcome(kick_off(client, narrow, _type="Patient"), 403)
    outcome(kick_off(client, narrow, f"Group/{other_team.pk}/$export"), 404)
    outcome(kick_off(client, narrow, "Group/999999/$export"), 404)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(export, "queue_after_commit", lambda *a, **k: None)
        response = kick_off(client, narrow)  # no _type: the types the token may read
    assert response.status_code == 202
    assert ExportJob.objects.get().types == ["Flag"]


def test_while_it_runs_the_status_is_202_with_progress_and_one_export_at_a_time(
    client, token, told
):
    response = kick_off(client, token)  # not committed: no worker has it yet
    status_url = response["Content-Location"]

    waiting = get(client, token, status_url)
    assert waiting.status_code == 202 and waiting["X-Progress"] == "accepted"
    ExportJob.objects.update(status="running", progress="writing Observation (5 of 9 types done)")
    assert get(client, token, status_url)["X-Progress"].startswith("writing Observation")
    busy = outcome(kick_off(client, token), 429)
    assert "in progress" in busy["issue"][0]["diagnostics"]

    assert client.delete(status_url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 202
    assert not ExportJob.objects.exists()
    assert kick_off(client, token).status_code == 202  # free again


def test_a_cancelled_export_stops_and_leaves_no_file(client, token, told, export_dir):
    kick_off(client, token)
    job = ExportJob.objects.get()
    real = export.write_type

    def cancelled_midway(job, kind, team_ids, path):
        if kind == "QuestionnaireResponse":
            export.cancel_export(job)
        return real(job, kind, team_ids, path)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(export, "write_type", cancelled_midway)
        export.run_export(str(job.pk))

    assert not ExportJob.objects.exists()
    assert not (export_dir / str(job.pk)).exists()


def test_another_clients_export_and_files_are_not_found(
    client, token, told, team, django_capture_on_commit_callbacks
):
    status_url = started(client, token, django_capture_on_commit_callbacks, _type="Patient")
    url = manifest_of(client, token, status_url)["output"][0]["url"]
    other = token_for(client, *create_client(name="Cerner", teams=[team]))

    outcome(get(client, other, status_url), 404)
    outcome(get(client, other, url), 404)
    outcome(client.delete(status_url, HTTP_AUTHORIZATION=f"Bearer {other}"), 404)
    assert get(client, token, url.rsplit("/", 1)[0] + "/..%2F..%2Fdb.sqlite3").status_code == 404
    outcome(get(client, token, url.replace("Patient.ndjson", "Flag.ndjson")), 404)
    assert ExportJob.objects.exists()
    assert download(client, token, url)


def test_an_expired_export_is_not_found_and_the_sweep_deletes_it(
    client, token, told, export_dir, django_capture_on_commit_callbacks, settings
):
    settings.FHIR_EXPORT_TTL_HOURS = 24
    status_url = started(client, token, django_capture_on_commit_callbacks, _type="Patient")
    url = manifest_of(client, token, status_url)["output"][0]["url"]
    job = ExportJob.objects.get()
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    fresh = ExportJob.objects.create(
        client=job.client,
        request_url="x",
        status="failed",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    outcome(get(client, token, status_url), 404)
    outcome(get(client, token, url), 404)
    assert (export_dir / str(job.pk) / "Patient.ndjson").exists()  # until the sweep
    assert export.delete_expired_exports() == 1

    assert list(ExportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not (export_dir / str(job.pk)).exists()


def test_the_sweep_is_scheduled_on_the_exports_queue(settings):
    from django.conf import settings as live

    entry = live.CELERY_BEAT_SCHEDULE["delete-expired-fhir-exports"]
    assert entry["task"] == "fhir.tasks.delete_expired_exports"
    assert entry["options"]["queue"] == "exports"
    assert live.CELERY_TASK_ROUTES["fhir.tasks.*"] == {"queue": "exports"}


def test_an_export_of_a_revoked_client_fails_with_an_operation_outcome(
    client, token, told, epr, export_dir
):
    status_url = kick_off(client, token)["Content-Location"]
    job = ExportJob.objects.get()
    other = create_client(name="Reader", teams=[epr[0].teams.first()])
    revoke_client(epr[0])
    export.run_export(str(job.pk))
    # The revoked client can no longer ask; what it would be told is in the row.
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "the client's access was revoked"
    assert not (export_dir / str(job.pk)).exists()
    assert other  # another client is unaffected

    ExportJob.objects.filter(pk=job.pk).update(client=other[0])
    reader = token_for(client, *other)
    body = outcome(get(client, reader, status_url), 500)
    assert "revoked" in body["issue"][0]["diagnostics"]


def _export_queries(job_id) -> int:
    with CaptureQueriesContext(connection) as queries:
        export.run_export(job_id)
    return len(queries)


def test_queries_do_not_grow_with_the_number_of_patients(client, token, team, epr, settings):
    settings.FHIR_EXPORT_BATCH = 100

    def export_of(extra):
        for _ in range(extra):
            patient = PatientFactory(care_team=team)
            BaselineFactory(patient=patient)
            story(patient, days=2)
        ExportJob.objects.all().delete()
        kick_off(client, token)
        return _export_queries(str(ExportJob.objects.get().pk))

    few = export_of(2)
    many = export_of(4)  # six patients, twelve check-ins: one batch of each type still
    assert few == many


def test_rows_are_read_a_batch_at_a_time(client, token, team, epr, settings):
    for _ in range(5):
        patient = PatientFactory(care_team=team)
        BaselineFactory(patient=patient)
    kick_off(client, token, _type="Patient")
    settings.FHIR_EXPORT_BATCH = 2
    job = ExportJob.objects.get()
    with CaptureQueriesContext(connection) as queries:
        export.run_export(str(job.pk))
    patient_reads = [
        q for q in queries if '"patients_patient"."user_id"' in q["sql"] and "LIMIT 2" in q["sql"]
    ]
    assert len(patient_reads) == 4  # 2 + 2 + 1 + the empty read that ends it
    job.refresh_from_db()
    assert job.output == [{"type": "Patient", "file": "Patient.ndjson", "count": 5}]


def test_a_team_taken_from_the_client_takes_its_exports_files_too(
    client, token, told, epr, other_team, django_capture_on_commit_callbacks
):
    """An admin removes the team from the client after the export: its status and
    files are gone for the client, whatever token it holds (review of issue 14)."""
    status_url = started(client, token, django_capture_on_commit_callbacks, _type="Patient")
    url = manifest_of(client, token, status_url)["output"][0]["url"]
    access, _ = epr
    access.teams.set([other_team])
    fresh = token_for(client, *epr)

    outcome(get(client, fresh, status_url), 404)
    outcome(get(client, fresh, url), 404)


def test_a_file_needs_the_scope_of_its_type_in_the_token_that_asks(
    client, token, told, epr, django_capture_on_commit_callbacks
):
    status_url = started(client, token, django_capture_on_commit_callbacks, _type="Patient,Flag")
    urls = {o["type"]: o["url"] for o in manifest_of(client, token, status_url)["output"]}
    patients_only = token_for(client, *epr, scope="system/Patient.read")

    assert download(client, patients_only, urls["Patient"])
    outcome(get(client, patients_only, urls["Flag"]), 403)


def test_an_export_that_stopped_is_failed_by_the_sweep_and_frees_its_client(
    client, token, told, epr, settings, django_capture_on_commit_callbacks
):
    """A worker that died mid-export (or a task the broker lost) left the job running
    (or accepted): after FHIR_EXPORT_STALE_MINUTES without a batch, the sweep fails it
    with a plain error, and the client may start another at once."""
    settings.FHIR_EXPORT_STALE_MINUTES = 15
    access, _ = epr
    now = timezone.now()
    stopped = ExportJob.objects.create(
        client=access,
        request_url="x",
        status="running",
        started_at=now - timedelta(minutes=40),
        beat_at=now - timedelta(minutes=16),
        expires_at=now + timedelta(hours=23),
    )
    kick_off_refused = kick_off(client, token, _type="Patient")
    assert kick_off_refused.status_code == 429  # one export in progress at a time

    assert export.delete_expired_exports(now=now) == 0
    stopped.refresh_from_db()
    assert stopped.status == "failed" and "start it again" in stopped.error
    assert stopped.expires_at > now
    outcome(get(client, token, f"/fhir/r4/$export-status/{stopped.pk}"), 500)
    assert started(client, token, django_capture_on_commit_callbacks, _type="Patient")


def test_an_export_that_writes_batches_is_not_stale(
    client, token, told, settings, django_capture_on_commit_callbacks
):
    settings.FHIR_EXPORT_STALE_MINUTES = 15
    started(client, token, django_capture_on_commit_callbacks, _type="Patient")
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(status="running")  # as while it writes

    assert export.fail_stale_exports() == 0  # its last batch was just written


def test_a_lost_task_leaves_an_accepted_export_that_the_sweep_fails(epr, settings):
    settings.FHIR_EXPORT_STALE_MINUTES = 15
    access, _ = epr
    now = timezone.now()
    lost = ExportJob.objects.create(
        client=access,
        request_url="x",
        created_at=now - timedelta(minutes=20),
        expires_at=now + timedelta(hours=23),
    )
    export.fail_stale_exports(now=now - timedelta(minutes=10))
    lost.refresh_from_db()
    assert lost.status == "accepted"  # 10 minutes: not yet

    export.fail_stale_exports(now=now)
    lost.refresh_from_db()
    assert lost.status == "failed"
