"""$export end to end on the real stack: a kick-off over HTTP, a real Celery worker
consuming the exports queue from real Redis and writing to the real PostgreSQL test
database, polling until the manifest, and every NDJSON line validated as R4."""
# ruff: noqa: F811 (fixtures imported from .api and the integration tests)

import json
import os

import pytest
from django.conf import settings

from fhir.models import ExportJob
from fhir.oauth import create_client
from fhir.validation import validate
from patients.models import AuditEvent

from ..integration.conftest import (  # noqa: F401
    Worker,
    broker,
    database_url,
    services_ready,
    wait_for,
)
from .api import get, token_for
from .helpers import story

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exports_worker(broker, tmp_path, settings):
    """A worker of the exports queue only, writing under tmp_path, which this process
    (the web side) serves the files from."""
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "FHIR_EXPORT_DIR": str(settings.FHIR_EXPORT_DIR),
        "FHIR_EXPORT_BATCH": "2",  # several batches of every type
        "ENV_FILE": "/dev/null",
    }
    started = Worker(env, tmp_path / "worker.log", queues="exports")
    started.wait_until_ready()
    yield started
    started.stop()


def test_an_export_runs_on_a_real_worker_and_its_files_are_valid_r4(
    client, patient, other_patient, nurse, carer, exports_worker
):
    story(patient, nurse=nurse, carer=carer)
    story(other_patient)
    access, secret = create_client(name="Research", teams=[patient.care_team])
    token = token_for(client, access, secret)

    kicked = client.get(
        "/fhir/r4/$export",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_PREFER="respond-async",
        HTTP_ACCEPT="application/fhir+json",
    )
    assert kicked.status_code == 202, kicked.content
    status_url = kicked["Content-Location"]

    def done():
        return ExportJob.objects.filter(status__in=["completed", "failed"]).exists()

    wait_for(done, timeout=60, what="the worker to finish the export")
    polled = get(client, token, status_url)
    assert polled.status_code == 200, (polled.content, exports_worker.log.read_text()[-2000:])
    manifest = polled.json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts["Patient"] == 1 and counts["QuestionnaireResponse"] == 5
    assert counts["Communication"] == 10 and counts["Flag"] == 2
    for entry in manifest["output"]:
        response = get(client, token, entry["url"])
        assert response.status_code == 200
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == entry["count"]
        for line in lines:
            resource = validate(json.loads(line))
            assert resource["resourceType"] == entry["type"]
            subject = resource.get("subject") or resource.get("patient")
            if subject:
                assert subject["reference"] == f"Patient/{patient.pk}"
    job = ExportJob.objects.get()
    assert job.status == "completed" and job.started_at and job.finished_at
    exported = AuditEvent.objects.filter(action="exported", object_id=str(job.pk))
    assert list(exported.values_list("patient_id", flat=True)) == [patient.pk]
    assert (settings.FHIR_EXPORT_DIR / str(job.pk) / "Patient.ndjson").exists()
