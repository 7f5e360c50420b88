"""Each FHIR builder's output is valid R4 (fhir.resources, from the R4 structure
definitions) and says what the tracker's rows say."""

import pytest

from clinical.catalogue import ITEMS
from fhir import builders, codes, queries
from fhir.validation import FhirValidationError, validate
from patients.models import Episode

from .helpers import story

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(patient, nurse, carer):
    return story(patient, nurse=nurse, carer=carer)


def by_id(resources):
    return {r["id"]: r for r in resources}


def test_it_refuses_what_is_not_r4():
    with pytest.raises(FhirValidationError, match="Flag/1"):
        validate({"resourceType": "Flag", "id": "1", "status": "active", "bogus": 1})
    with pytest.raises(FhirValidationError):
        validate({"resourceType": "Flag", "id": "1", "status": "maybe", "code": {"text": "x"}})
    with pytest.raises(FhirValidationError):
        validate({"resourceType": "NotAThing"})


def test_the_patient_is_identified_by_hospital_number(patient, settings):
    settings.FHIR_PATIENT_IDENTIFIER_SYSTEM = "https://hospital.example.org/id/mrn"
    resource = validate(builders.patient_resource(queries.patients().get(pk=patient.pk)))
    assert resource["id"] == str(patient.pk)
    assert resource["identifier"][0]["system"] == "https://hospital.example.org/id/mrn"
    assert resource["identifier"][0]["value"] == patient.hospital_number
    assert resource["name"][0]["family"] == "Morgan"
    assert resource["managingOrganization"]["reference"] == f"Organization/{patient.care_team_id}"


def test_a_team_is_a_care_team_with_its_contact_list(team, nurse):
    contacts = team.contacts_by_role
    team = queries.care_teams().get(pk=team.pk)
    care_team = validate(builders.care_team_resource(team))
    validate(builders.organization_resource(team))
    validate(builders.practitioner_resource(nurse))
    members = [p["member"]["reference"] for p in care_team["participant"]]
    assert f"Practitioner/{nurse.pk}" in members
    roles = {r["id"]: r for r in care_team["contained"]}
    weekday = roles[f"contact-{contacts['nurse'].pk}"]
    assert weekday["availableTime"] == [
        {
            "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
            "availableStartTime": "09:00:00",
            "availableEndTime": "17:00:00",
        }
    ]
    line = roles[f"contact-{contacts['line'].pk}"]
    assert line["availableTime"][0]["allDay"] is True
    assert {"system": "phone", "value": "020 7946 0999", "use": "work", "rank": 2} in line[
        "telecom"
    ]
    assert [t["rank"] for t in care_team["telecom"]] == [1, 2, 3]


def test_the_questionnaire_codes_every_item():
    questionnaire = validate(builders.questionnaire_resource())
    validate(builders.code_system_resource())
    assert questionnaire["id"] == "check-in" and questionnaire["version"] == "v1"
    items = {i["linkId"]: i for i in questionnaire["item"]}
    for item in ITEMS:
        own = [c for c in items[item.key]["code"] if c["system"] == codes.code_system_url()]
        assert own == [codes.coding(item.key, item.label)]
    assert items["chest_pain"]["code"][0] == {
        "system": "http://snomed.info/sct",
        "code": "29857009",
        "display": "Chest pain",
    }
    assert items["temperature_c"]["code"][0]["code"] == "8310-5"
    assert [o["valueCoding"]["display"] for o in items["nausea"]["answerOption"]] == [
        "None",
        "Mild",
        "Moderate",
        "Severe",
        "Very severe",
    ]


def test_the_code_system_holds_every_code_the_resources_use():
    system = builders.code_system_resource()
    defined = {c["code"] for group in system["concept"] for c in [group, *group["concept"]]}
    assert {item.key for item in ITEMS} <= defined
    expected = {"green", "amber", "red", "emergency", "R1", "R15", "sms", "severity-4", "alert"}
    assert expected <= defined
    assert system["count"] == len(defined)


def test_a_check_in_is_a_response_with_its_author(patient, nurse, carer, told):
    rows = {c.pk: c for c in queries.check_ins_of(patient)}
    by_patient, *_, by_carer, by_clinician = [rows[c.pk] for c in told["check_ins"]]

    response = validate(builders.questionnaire_response_resource(by_patient))
    assert response["author"]["reference"] == f"Patient/{patient.pk}"
    answers = {i["linkId"]: i["answer"][0] for i in response["item"]}
    assert answers["stools_per_day"] == {"valueInteger": 7}
    assert answers["nausea"]["valueCoding"]["code"] == "severity-2"
    assert answers["temperature_c"] == {"valueDecimal": 37.8}
    assert answers["chest_pain"] == {"valueBoolean": False}
    assert answers["free_text"] == {"valueString": "Tired after the walk"}
    assert response["authored"].endswith("+00:00")

    carer_response = validate(builders.questionnaire_response_resource(by_carer))
    assert carer_response["author"] == {"reference": "#carer", "display": "Cara Morgan"}
    assert carer_response["contained"][0]["resourceType"] == "RelatedPerson"

    phoned = validate(builders.questionnaire_response_resource(by_clinician))
    assert phoned["author"]["reference"] == f"Practitioner/{nurse.pk}"
    assert phoned["source"]["reference"] == f"Patient/{patient.pk}"


def test_an_observation_per_answered_item_with_the_baseline_alongside(patient, told):
    check_in = queries.check_ins_of(patient).get(pk=told["check_ins"][0].pk)
    observations = by_id(builders.observation_resources(check_in))
    for resource in observations.values():
        validate(resource)
        assert resource["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{check_in.pk}"}]
    assert set(observations) == {
        f"{check_in.pk}-{key}"
        for key in ("stools-per-day", "nausea", "wellbeing", "temperature-c", "chest-pain")
    }
    stools = observations[f"{check_in.pk}-stools-per-day"]
    assert stools["valueQuantity"]["value"] == 7
    # The baseline (1 a day) is the top of the patient's normal range.
    assert stools["referenceRange"][0]["high"]["value"] == 1
    assert stools["referenceRange"][0]["type"]["coding"][0]["code"] == "normal"
    # Wellbeing: higher is better, so the usual (8) is the bottom of the range.
    assert observations[f"{check_in.pk}-wellbeing"]["referenceRange"][0]["low"]["value"] == 8
    # No baseline recorded for nausea, none for a yes/no or the temperature.
    for key in ("nausea", "chest-pain", "temperature-c"):
        assert "referenceRange" not in observations[f"{check_in.pk}-{key}"]
    temperature = observations[f"{check_in.pk}-temperature-c"]
    assert temperature["valueQuantity"] == {
        "value": 37.8,
        "unit": "°C",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }


def test_an_episode_is_a_flag_active_until_resolved(patient, told):
    episodes = list(queries.episodes_of(patient))
    flags = {e.symptom: validate(builders.flag_resource(e)) for e in episodes}
    assert flags["stools_per_day"]["status"] == "active"
    assert flags["cough"]["status"] == "inactive"
    assert "end" in flags["cough"]["period"]
    priority = flags["stools_per_day"]["extension"][0]["valueCodeableConcept"]
    assert priority["coding"][0]["code"] == "red"
    assert flags["stools_per_day"]["id"] == str(
        Episode.objects.get(patient=patient, symptom="stools_per_day").pk
    )


def test_a_flag_row_is_a_detected_issue_with_its_rule(patient, told):
    flag = told["flags"][0]
    issue = validate(builders.detected_issue_resource(queries.flags_of(patient).get(pk=flag.pk)))
    assert issue["id"] == str(flag.pk)
    assert issue["code"]["coding"][0]["code"] == "R2"
    assert issue["code"]["coding"][0]["version"] == "v1"
    assert issue["detail"] == "7/day vs 1/day"
    assert issue["severity"] == "high"
    assert {"reference": f"Observation/{flag.check_in_id}-stools-per-day"} in issue["implicated"]
    assert {"reference": f"QuestionnaireResponse/{flag.check_in_id}"} in issue["implicated"]


def test_a_notification_is_a_communication(patient, told):
    rows = {n.pk: n for n in queries.notifications_of(patient)}
    for notification in told["notifications"]:
        communication = validate(builders.communication_resource(rows[notification.pk]))
        assert communication["id"] == str(notification.pk)
        medium = {c["code"] for c in communication["medium"][0]["coding"]}
        assert notification.channel in medium


def test_sms_and_webhook_communications_carry_no_symptom(patient, told):
    for notification in queries.notifications_of(patient):
        text = str(builders.communication_resource(notification))
        if notification.channel in ("sms", "webhook"):
            for word in ("Stools", "stools", "7/day", "Cough", "cough"):
                assert word not in text, (notification.channel, word)
        else:
            assert "7/day vs 1/day" in text
        assert "/ack/" not in text  # never the live acknowledge link


def test_a_communication_says_when_it_was_sent_and_acknowledged(patient, told):
    rows = {n.pk: n for n in queries.notifications_of(patient)}
    sent = builders.communication_resource(rows[told["notifications"][0].pk])
    assert sent["status"] == "completed" and sent["sent"].endswith("+00:00")
    assert "received" not in sent  # nobody has acknowledged the stools yet
    failed = builders.communication_resource(rows[told["notifications"][-1].pk])
    assert failed["status"] == "not-done"
    assert failed["received"].endswith("+00:00")  # the cough was acknowledged
