"""The read API: metadata, read by id of every type, $everything, errors as
OperationOutcome, a client's teams only, every read in the audit trail. Every
response is validated against FHIR R4 (fhir.validation)."""
# ruff: noqa: F811 (the fixtures `epr` and `token` are imported from .api)

import pytest

from fhir import builders
from fhir.oauth import create_client
from patients.models import AuditEvent

from .api import epr, get, ok, outcome, token, token_for  # noqa: F401
from .helpers import story

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(patient, nurse, carer):
    return story(patient, nurse=nurse, carer=carer)


def test_metadata_tells_what_is_implemented(client):
    statement = ok(client.get("/fhir/r4/metadata"))
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    rest = statement["rest"][0]
    by_type = {r["type"]: r for r in rest["resource"]}
    assert set(by_type) == {
        "Patient",
        "Practitioner",
        "CareTeam",
        "Organization",
        "Group",
        "Questionnaire",
        "CodeSystem",
        "QuestionnaireResponse",
        "Observation",
        "Flag",
        "DetectedIssue",
        "Communication",
    }
    for resource in by_type.values():
        assert {i["code"] for i in resource["interaction"]} <= {"read", "search-type"}
    assert {p["name"] for p in by_type["Observation"]["searchParam"]} == {"patient", "code", "date"}
    assert {p["name"] for p in by_type["Patient"]["searchParam"]} == {"identifier"}
    assert "searchParam" not in by_type["DetectedIssue"]
    assert by_type["Patient"]["operation"][0]["name"] == "everything"
    token_uri = rest["security"]["extension"][0]["extension"][0]["valueUri"]
    assert token_uri == "http://testserver/fhir/auth/token"


def test_the_smart_configuration_names_the_token_endpoint(client):
    response = client.get("/fhir/r4/.well-known/smart-configuration")
    assert response.status_code == 200
    body = response.json()
    assert body["token_endpoint"] == "http://testserver/fhir/auth/token"
    assert body["grant_types_supported"] == ["client_credentials"]
    assert "system/*.read" in body["scopes_supported"]


def test_it_reads_every_type_by_id(client, token, told, patient, nurse):
    check_in = told["check_ins"][0]
    flag = told["flags"][0]
    notification = told["notifications"][0]
    team = patient.care_team
    reads = {
        f"Patient/{patient.pk}": "Patient",
        f"Practitioner/{nurse.pk}": "Practitioner",
        f"CareTeam/{team.pk}": "CareTeam",
        f"Organization/{team.pk}": "Organization",
        f"Group/{team.pk}": "Group",
        "Questionnaire/check-in": "Questionnaire",
        "CodeSystem/symptom-tracker": "CodeSystem",
        f"QuestionnaireResponse/{check_in.pk}": "QuestionnaireResponse",
        f"Observation/{builders.observation_id(check_in.pk, 'stools_per_day')}": "Observation",
        f"Flag/{flag.episode_id}": "Flag",
        f"DetectedIssue/{flag.pk}": "DetectedIssue",
        f"Communication/{notification.pk}": "Communication",
    }
    for path, kind in reads.items():
        resource = ok(get(client, token, path))
        assert resource["resourceType"] == kind
        assert f"{kind}/{resource['id']}" == path
    observation = ok(get(client, token, f"Observation/{check_in.pk}-stools-per-day"))
    assert observation["valueQuantity"]["value"] == 7


def test_not_found_is_an_operation_outcome(client, token, patient):
    for path in (
        "Patient/999999",
        "Patient/abc",
        "Observation/1-not-an-item",
        "Questionnaire/other",
        "Flag/0",
        "Basic/1",
        "Patient/²",  # a digit to str.isdigit(), not to int()
        "Group/²/$export",
        f"Patient/{patient.pk}/_history",  # no such path: still an OperationOutcome
    ):
        outcome(get(client, token, path), 404)


def test_a_client_sees_only_its_teams_patients(client, told, other_patient, patient, other_nurse):
    """bob is in the other team: the client of alice's team gets 404 for his records,
    as for records that do not exist, and finds none in a search."""
    from .helpers import story as tell

    bob = tell(other_patient, days=1)
    access, secret = create_client(name="EPR", teams=[patient.care_team])
    token = token_for(client, access, secret)
    for path in (
        f"Patient/{other_patient.pk}",
        f"Patient/{other_patient.pk}/$everything",
        f"QuestionnaireResponse/{bob['check_ins'][0].pk}",
        f"Observation/{bob['check_ins'][0].pk}-stools-per-day",
        f"Flag/{bob['flags'][0].episode_id}",
        f"DetectedIssue/{bob['flags'][0].pk}",
        f"Communication/{bob['notifications'][0].pk}",
        f"CareTeam/{other_patient.care_team_id}",
        f"Organization/{other_patient.care_team_id}",
        f"Practitioner/{other_nurse.pk}",
    ):
        body = outcome(get(client, token, path), 404)
        assert body["issue"][0]["code"] in ("not-found",)
    for kind in ("Flag", "QuestionnaireResponse", "Observation", "Communication"):
        bundle = ok(get(client, token, kind, patient=other_patient.pk))
        assert "entry" not in bundle
    assert not ok(get(client, token, "Patient", identifier=other_patient.hospital_number)).get(
        "entry"
    )
    # And the other team's client sees bob, not alice.
    access, secret = create_client(name="Other EPR", teams=[other_patient.care_team])
    other_token = token_for(client, access, secret)
    ok(get(client, other_token, f"Patient/{other_patient.pk}"))
    outcome(get(client, other_token, f"Patient/{patient.pk}"), 404)


def test_everything_is_one_bundle_of_the_patients_records(client, token, told, patient):
    bundle = ok(get(client, token, f"Patient/{patient.pk}/$everything"))
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "QuestionnaireResponse", "Observation", "Flag", "DetectedIssue"} <= kinds
    assert "Communication" in kinds
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/fhir/r4/Patient/{patient.pk}"
    outcome(get(client, token, f"Patient/{patient.pk}/$everything", _count="5"), 400)


def test_every_read_is_in_the_audit_trail_as_the_client(client, token, epr, told, patient):
    access, _secret = epr
    AuditEvent.objects.all()  # the trail before: whatever the story wrote
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    check_in = told["check_ins"][0]
    ok(get(client, token, f"Patient/{patient.pk}"))
    ok(get(client, token, f"QuestionnaireResponse/{check_in.pk}"))
    ok(get(client, token, f"Patient/{patient.pk}/$everything"))
    ok(get(client, token, "Flag", patient=patient.pk))
    ok(get(client, token, "Patient", identifier=patient.hospital_number))
    rows = list(AuditEvent.objects.exclude(pk__in=before).order_by("pk"))
    assert len(rows) == 5
    for row in rows:
        assert row.actor_role == "system"
        assert row.actor_id is None
        assert row.action == "viewed"
        assert row.patient_id == patient.pk
        assert row.actor_label == "API client Epic EPR"
        assert access.application.client_id in row.detail
        assert patient.hospital_number not in row.detail
        assert "Morgan" not in row.detail
    assert rows[0].object_type == "patients.patient"
    assert rows[1].object_type == "patients.checkin" and rows[1].object_id == str(check_in.pk)
    assert "$everything" in rows[2].detail
    assert rows[3].detail.startswith("FHIR search Flag by patient")
    assert "identifier #" in rows[4].detail


def test_a_search_that_shows_no_one_is_recorded_once(client, token, patient):
    before = AuditEvent.objects.count()
    ok(get(client, token, "Patient", identifier="NOBODY"))
    row = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == before + 1
    assert row.patient_id is None and row.actor_role == "system"


def test_a_read_costs_a_fixed_number_of_queries(
    client, token, told, patient, django_assert_max_num_queries
):
    check_in = told["check_ins"][0]
    for path in (
        f"Patient/{patient.pk}",
        f"QuestionnaireResponse/{check_in.pk}",
        f"Communication/{told['notifications'][0].pk}",
        f"CareTeam/{patient.care_team_id}",
    ):
        with django_assert_max_num_queries(8):
            ok(get(client, token, path))
