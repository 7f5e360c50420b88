"""$everything and `manage.py fhir_export`: a patient's whole record as one valid R4
Bundle, on the tests' story and on the demo data."""

import json
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fhir.everything import everything_bundle
from fhir.validation import validate
from patients.models import Patient

from .helpers import story

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def kinds(bundle) -> Counter:
    return Counter(e["resource"]["resourceType"] for e in bundle["entry"])


def test_everything_is_a_valid_searchset_of_the_whole_record(patient, nurse, carer, settings):
    settings.SITE_URL = "https://tracker.example.org"
    told = story(patient, nurse=nurse, carer=carer)
    bundle = validate(everything_bundle(patient))
    assert bundle["type"] == "searchset"
    first = bundle["entry"][0]
    assert first["resource"]["resourceType"] == "Patient"
    assert first["search"]["mode"] == "match"
    assert first["fullUrl"] == f"https://tracker.example.org/fhir/r4/Patient/{patient.pk}"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")
    counted = kinds(bundle)
    assert counted["QuestionnaireResponse"] == len(told["check_ins"])
    assert counted["DetectedIssue"] == len(told["flags"])
    assert counted["Flag"] == 2  # two episodes: stools (3 flags) and cough
    assert counted["Communication"] == len(told["notifications"])
    for kind in ("CareTeam", "Organization", "Questionnaire", "CodeSystem", "Practitioner"):
        assert counted[kind] >= 1
    # Every reference to another resource resolves inside the Bundle.
    ids = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    references = set(re.findall(r'"reference": "([A-Za-z]+/[^"]+)"', json.dumps(bundle)))
    assert references and references <= ids


def test_the_command_prints_the_bundle(patient):
    story(patient, days=1)
    out = StringIO()
    call_command("fhir_export", "--patient", patient.hospital_number, stdout=out)
    bundle = validate(json.loads(out.getvalue()))
    assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == patient.hospital_number


def test_the_command_refuses_an_unknown_number(patient):
    with pytest.raises(CommandError, match="NOPE"):
        call_command("fhir_export", "--patient", "NOPE", stdout=StringIO())


def test_an_unknown_number_exits_1_with_the_error_on_stderr(tmp_path):
    """The real command line: a fresh SQLite database, nobody in it."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "ENV_FILE": "",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "migrate", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
    result = subprocess.run(
        [*run, "fhir_export", "--patient", "RXH9999999"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "No patient has the hospital number 'RXH9999999'" in result.stderr


def test_the_demo_patient_exports_check_ins_flags_and_notifications():
    """The demo's alice (RXH1000001), as `make run` seeds her: her Bundle has her,
    her check-ins as QuestionnaireResponses and Observations, the flag of her episode
    of five weeks ago (resolved) and the notifications it sent."""
    call_command("seed_demo", stdout=StringIO())
    alice = Patient.objects.get(hospital_number="RXH1000001")
    out = StringIO()
    call_command("fhir_export", "--patient", "RXH1000001", stdout=out)
    bundle = validate(json.loads(out.getvalue()))
    counted = kinds(bundle)
    assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == "RXH1000001"
    assert counted["QuestionnaireResponse"] == alice.check_ins.count() > 1
    assert counted["Observation"] > counted["QuestionnaireResponse"]
    assert counted["Flag"] >= 1 and counted["DetectedIssue"] >= 1
    assert counted["Communication"] >= 1
    flags = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Flag"]
    assert any(f["code"]["coding"][-1]["code"] == "stools_per_day" for f in flags)
    assert {f["status"] for f in flags} == {"inactive"}  # resolved by the nurse
