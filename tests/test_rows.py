"""base.rows writes rows as save() would: the values it passes as they are equal
what Django's own preparation makes of them, for every field of the models it
writes, and a value of another type is still prepared by Django."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from base import rows
from patients.models import AuditEvent, CheckIn, Flag

from .factories import make_check_in

pytestmark = pytest.mark.django_db


def comparable(values: list) -> list:
    """psycopg2's Inet wrapper compares by identity: its address compares by value."""
    return [getattr(value, "addr", value) for value in values]


def django_values(statement, instance) -> list:
    fields = statement.fields
    return comparable([f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields])


def test_a_check_ins_values_are_prepared_as_save_prepares_them(patient):
    check_in = CheckIn(
        patient=patient,
        baseline=patient.active_baseline,
        submitted_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
        local_date=datetime(2026, 11, 24).date(),
        entered_by="patient",
        entered_by_user=patient.user,
        form_token=uuid.uuid4(),
        stools_per_day=3,
        fatigue=0,
        chest_pain=False,
        fainting=None,
        temperature_c=Decimal("37.6"),
        free_text="tired",
        urgency="green",
    )
    statement = rows._statement_for(CheckIn)

    assert comparable(rows._values(statement, check_in)) == django_values(statement, check_in)


def test_audit_and_flag_values_are_prepared_as_save_prepares_them(patient):
    event = AuditEvent(
        actor_id=patient.user_id,
        actor_role="patient",
        action="created",
        patient_id=patient.pk,
        patient_ref="abc",
        object_type="patients.checkin",
        object_id="12",
        ip="203.0.113.9",
    )
    flag = Flag(
        check_in=make_check_in(patient, stools_per_day=9),
        symptom="stools_per_day",
        urgency="red",
        rule="R2",
        rule_set="v1",
        explanation="stools 9/day vs usual 1/day",
        created_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
    )
    for instance in (event, flag):
        statement = rows._statement_for(type(instance))
        assert comparable(rows._values(statement, instance)) == django_values(statement, instance)


def test_a_value_of_another_type_is_prepared_by_django(patient):
    """A string in an integer field, an int in a boolean field: converted as save()
    converts them, never written as they are."""
    check_in = make_check_in(patient)
    check_in.stools_per_day, check_in.chest_pain = "4", 1
    statement = rows._statement_for(CheckIn)
    names = [f.attname for f in statement.fields]
    values = dict(zip(names, rows._values(statement, check_in), strict=True))

    assert values["stools_per_day"] == 4 and values["chest_pain"] is True
