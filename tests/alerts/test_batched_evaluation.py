"""Check-ins the request judged green are evaluated in batches (issue 11, the check-in's
throughput): a batch is claimed and read in two queries however many check-ins and
patients it holds, each check-in is judged exactly as flag_check_in judges it alone
(a flag and an alert when the worker finds what the request did not), a check-in
claimed before is left alone, and a batch that fails is handed on one by one."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from alerts import tasks
from alerts.models import Alert
from alerts.services import flagging
from patients.models import CheckIn, Flag
from patients.services.check_ins import evaluate, record_check_in

from ..factories import BaselineFactory, PatientFactory, TreatmentFactory, make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def statements(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]


def patients_of(team, count):
    made = []
    for _ in range(count):
        patient = PatientFactory(care_team=team)
        TreatmentFactory(patient=patient)
        BaselineFactory(patient=patient, stools_per_day=1)
        made.append(patient)
    return made


def test_a_batch_is_claimed_and_read_in_two_queries_however_many(team):
    patients = patients_of(team, 6)
    for patient in patients:  # days before, which the engine reads
        make_check_in(patient, at=TUESDAY_10 - timedelta(days=1), stools_per_day=1)
    greens = [make_check_in(p, at=TUESDAY_10, stools_per_day=1, fatigue=1) for p in patients]
    greens += [make_check_in(patients[0], at=TUESDAY_10, stools_per_day=1)]

    with CaptureQueriesContext(connection) as ctx:
        notified = flagging.flag_check_ins([c.pk for c in greens], now=TUESDAY_10)

    assert notified == []
    sqls = statements(ctx)
    assert len(sqls) == 2  # the claim (UPDATE ... RETURNING) and the read of all patients
    assert sqls[0].upper().startswith("UPDATE")
    assert (
        CheckIn.objects.filter(pk__in=[c.pk for c in greens], evaluated_at=TUESDAY_10).count() == 7
    )
    assert not Flag.objects.exists()


def test_a_check_in_the_worker_finds_red_is_flagged_and_alerted_in_its_batch(team):
    quiet, unwell = patients_of(team, 2)
    green = make_check_in(quiet, at=TUESDAY_10, stools_per_day=1)
    # Saved as green (say its usual changed between the request's read and its save):
    # the worker judges what the database holds.
    red = make_check_in(unwell, at=TUESDAY_10, stools_per_day=9)
    assert red.urgency == "green"

    notified = flagging.flag_check_ins([green.pk, red.pk], now=TUESDAY_10)

    red.refresh_from_db()
    assert red.urgency == "red" and red.evaluated_at == TUESDAY_10
    assert [(f.symptom, f.urgency, f.rule) for f in red.flags.all()] == [
        ("stools_per_day", "red", "R2")
    ]
    assert Alert.objects.get(check_in=red).urgency == "red"
    assert len(notified) == 2  # the contact's email and SMS
    assert not green.flags.exists()


def test_each_check_in_of_a_batch_is_judged_with_its_own_days_before(team):
    (patient,) = patients_of(team, 1)
    # Two days of 5 stools against a usual of 1: the third day's 3 is a trend (amber
    # or above) only with the days before; the first day's check-in has none before it.
    first = make_check_in(patient, at=TUESDAY_10 - timedelta(days=2), stools_per_day=5)
    second = make_check_in(patient, at=TUESDAY_10 - timedelta(days=1), stools_per_day=5)
    alone = {c.pk: evaluate(CheckIn.objects.get(pk=c.pk)).urgency for c in (first, second)}

    flagging.flag_check_ins([second.pk, first.pk], now=TUESDAY_10)

    for check_in in (first, second):
        check_in.refresh_from_db()
        assert check_in.urgency == alone[check_in.pk]


def test_a_check_in_claimed_before_is_left_alone(team):
    (patient,) = patients_of(team, 1)
    red = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    flagging.flag_check_in(red.pk, now=TUESDAY_10)

    assert flagging.flag_check_ins([red.pk, red.pk], now=TUESDAY_10 + timedelta(minutes=1)) == []
    assert Flag.objects.filter(check_in=red).count() == 1
    assert Alert.objects.filter(check_in=red).count() == 1


def test_a_batch_that_fails_is_evaluated_one_by_one(team, monkeypatch):
    patients = patients_of(team, 3)
    check_ins = [make_check_in(p, at=TUESDAY_10, stools_per_day=1) for p in patients]

    def broken(ids, **kwargs):
        raise OperationalError("the database went away for the batch")

    monkeypatch.setattr(flagging, "flag_check_ins", broken)
    tasks.evaluate_check_ins([c.pk for c in check_ins])  # eager: the single tasks run here

    assert CheckIn.objects.filter(pk__in=[c.pk for c in check_ins], evaluated_at=None).count() == 0


@pytest.mark.parametrize("count", [1, 30])
def test_a_green_check_in_posted_is_evaluated(team, count, django_capture_on_commit_callbacks):
    saved = []
    for patient in patients_of(team, count):
        with django_capture_on_commit_callbacks(execute=True):
            check_in, evaluation, _ = record_check_in(
                patient=patient, answers={"stools_per_day": 1}, entered_by="patient", user=None
            )
        assert evaluation.urgency == "green"
        saved.append(check_in.pk)

    assert CheckIn.objects.filter(pk__in=saved, evaluated_at=None).count() == 0
