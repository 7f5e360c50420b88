"""Building N resources through fhir/queries.py costs a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fhir import builders, queries
from fhir.everything import everything_bundle
from tests.factories import BaselineFactory, PatientFactory, UserFactory

from .helpers import story

pytestmark = pytest.mark.django_db


def build_all(patients) -> int:
    """Every resource of `patients` through the shared reads; the number of queries."""
    with CaptureQueriesContext(connection) as captured:
        rows = queries.patients().filter(pk__in=patients)
        resources = [builders.patient_resource(p) for p in rows]
        for team in queries.care_teams_of(patients):
            resources += [builders.care_team_resource(team), builders.organization_resource(team)]
        for check_in in queries.check_ins_of(patients):
            resources.append(builders.questionnaire_response_resource(check_in))
            resources += builders.observation_resources(check_in)
        resources += [builders.flag_resource(e) for e in queries.episodes_of(patients)]
        resources += [builders.detected_issue_resource(f) for f in queries.flags_of(patients)]
        notifications = queries.notifications_of(patients)
        resources += [builders.communication_resource(n) for n in notifications]
    assert resources
    return len(captured)


def a_patient(team, name):
    patient = PatientFactory(care_team=team, user=UserFactory(username=name, first_name=name))
    BaselineFactory(patient=patient)
    return patient


def test_the_queries_do_not_grow_with_check_ins(patient, nurse, carer):
    story(patient, nurse=nurse, carer=carer, days=1)
    few = build_all([patient.pk])
    story(patient, nurse=nurse, carer=carer, days=6)
    assert build_all([patient.pk]) == few


def test_the_queries_do_not_grow_with_patients(team, nurse):
    first = a_patient(team, "ann")
    story(first, nurse=nurse, days=2)
    one = build_all([first.pk])
    others = [a_patient(team, f"p{n}") for n in range(4)]
    for other in others:
        story(other, nurse=nurse, days=2)
    assert build_all([first.pk, *(p.pk for p in others)]) == one


def test_everything_costs_the_same_for_a_longer_record(patient, nurse, carer):
    story(patient, nurse=nurse, carer=carer, days=1)
    with CaptureQueriesContext(connection) as short:
        everything_bundle(patient)
    story(patient, nurse=nurse, carer=carer, days=6)
    with CaptureQueriesContext(connection) as long:
        bundle = everything_bundle(patient)
    assert len(long) == len(short)
    assert len(bundle["entry"]) > 40
