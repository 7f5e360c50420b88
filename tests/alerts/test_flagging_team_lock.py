"""A new episode takes the team its patient is in when the worker commits it: the
worker reads the team under the row lock that moving the patient (Patient.save) takes,
so a move waits for it and carries the new episode to the new team."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.services import flagging
from patients.models import Episode

from ..factories import make_check_in


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_the_worker_reads_the_patients_team_under_the_lock_a_move_takes(patient):
    red = make_check_in(patient, stools_per_day=9)

    with CaptureQueriesContext(connection) as queries:
        flagging.flag_check_in(red.pk)

    locked = [q["sql"] for q in queries if 'FROM "patients_patient"' in q["sql"]]
    assert any("FOR NO KEY UPDATE" in sql and '"care_team_id"' in sql for sql in locked)
    assert Episode.objects.get(patient=patient).care_team_id == patient.care_team_id


def test_a_green_check_in_locks_nothing(patient):
    green = make_check_in(patient, stools_per_day=1)

    with CaptureQueriesContext(connection) as queries:
        flagging.flag_check_in(green.pk)

    assert not any("FOR NO KEY UPDATE" in q["sql"] for q in queries)
    assert not Episode.objects.exists()
