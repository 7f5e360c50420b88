"""A check-in outside any transaction (as a request runs it): its row and its audit
row are written together or not at all, on PostgreSQL by one statement with no
BEGIN or COMMIT of its own (base.rows.insert_pair), elsewhere in a transaction."""

import uuid

import pytest
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import audit
from patients.models import AuditEvent, CheckIn

from ..conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

CHECK_IN = reverse("patients:check_in")


def form(**answers) -> dict:
    return {"form_token": str(uuid.uuid4()), **{k: str(v) for k, v in answers.items()}}


def test_the_check_in_and_its_audit_row_are_saved_together(client, patient):
    login(client, patient.user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(CHECK_IN, form(stools_per_day=2))

    assert response.status_code == 302
    saved = CheckIn.objects.get(patient=patient)
    event = AuditEvent.objects.get(action="created")
    assert event.object_id == str(saved.pk) and event.patient_id == patient.pk
    assert response.url == reverse("patients:check_in_result", args=[saved.pk])
    # The request's own queries: up to its audit row (the eager worker's come after).
    sql = [q["sql"] for q in ctx.captured_queries]
    own = sql[: next(i for i, s in enumerate(sql) if 'INSERT INTO "patients_auditevent"' in s) + 1]
    writes = [s for s in own if "INSERT INTO" in s]
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and 'INSERT INTO "patients_checkin"' in writes[0]
        assert "BEGIN" not in own
        assert len(own) == 5  # session, user, the second factor's question, the read, the write
    else:
        assert len(writes) == 2


def test_an_audit_row_the_database_refuses_leaves_no_check_in(client, patient, monkeypatch):
    """The database itself refuses the second row (a value too long for its column):
    the check-in written before it in the same statement is not kept either."""
    made = audit.event

    def too_long(*args, **kwargs):
        event = made(*args, **kwargs)
        event.actor_role = "x" * 500
        return event

    if connection.vendor == "sqlite":
        pytest.skip("SQLite does not enforce a column's length")
    monkeypatch.setattr(audit, "event", too_long)
    login(client, patient.user)
    with pytest.raises(DataError):
        client.post(CHECK_IN, form(stools_per_day=9))

    assert not CheckIn.objects.exists()
    assert not AuditEvent.objects.filter(action="created").exists()


def test_a_form_sent_twice_is_saved_once(client, patient):
    login(client, patient.user)
    data = form(stools_per_day=9)
    first = client.post(CHECK_IN, data)
    second = client.post(CHECK_IN, data)

    assert first.url == second.url
    assert CheckIn.objects.count() == 1
    assert AuditEvent.objects.filter(action="created").count() == 1
