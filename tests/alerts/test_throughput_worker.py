"""What the worker's evaluation of a check-in costs (issue 11, the check-in's
throughput): a check-in is claimed and read with what judging it needs in two
queries, however long the patient's history, and a check-in whose flags alert
nobody writes nothing more. What the request read for the engine is what the ORM
reads, and a check-in keeps the baseline it was sent against."""

import uuid
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert
from alerts.services import flagging
from patients.models import CheckIn, Flag, Patient
from patients.services import check_ins

from ..factories import BaselineFactory, TreatmentFactory, make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def flag_counted(check_in, now=TUESDAY_10) -> tuple[list[str], list[int]]:
    with CaptureQueriesContext(connection) as ctx:
        notified = flagging.flag_check_in(check_in.pk, now=now)
    return [q["sql"] for q in ctx.captured_queries], notified


def statements(sqls: list[str]) -> list[str]:
    """The statements that read or write rows (not the transaction's own)."""
    return [s for s in sqls if not s.upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]


def sixty_days_of_check_ins(patient):
    for days in range(1, 61):
        make_check_in(patient, at=TUESDAY_10 - timedelta(days=days), stools_per_day=1)


def test_a_green_check_in_is_claimed_and_judged_in_two_queries(patient):
    green = make_check_in(patient, at=TUESDAY_10, stools_per_day=1, fatigue=1)

    sqls, notified = flag_counted(green)

    assert notified == []
    assert len(statements(sqls)) == 2  # the claim (UPDATE ... RETURNING), the read
    assert statements(sqls)[0].upper().startswith("UPDATE")
    green.refresh_from_db()
    assert green.evaluated_at == TUESDAY_10
    assert green.urgency == "green"


def test_the_worker_costs_the_same_with_60_days_of_history(patient, other_patient):
    without = make_check_in(patient, at=TUESDAY_10, stools_per_day=1)
    sixty_days_of_check_ins(other_patient)
    with_history = make_check_in(other_patient, at=TUESDAY_10, stools_per_day=1)

    assert len(statements(flag_counted(without)[0])) == len(
        statements(flag_counted(with_history)[0])
    )


def test_a_check_in_claimed_already_is_read_no_further(patient):
    green = make_check_in(patient, at=TUESDAY_10, stools_per_day=1)
    flagging.flag_check_in(green.pk, now=TUESDAY_10)

    sqls, notified = flag_counted(green, now=TUESDAY_10 + timedelta(minutes=1))

    assert notified == []
    assert len(statements(sqls)) == 1  # the claim, which finds it taken
    green.refresh_from_db()
    assert green.evaluated_at == TUESDAY_10


def test_a_flag_that_joins_an_open_episode_alerts_nobody_and_reads_no_alert(patient):
    """The second red of the same symptom joins the open episode: a flag, no alert,
    and none of raise_alert's reads."""
    first = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    assert flagging.flag_check_in(first.pk, now=TUESDAY_10)
    again = make_check_in(patient, at=TUESDAY_10 + timedelta(hours=1), stools_per_day=9)

    sqls, notified = flag_counted(again, now=TUESDAY_10 + timedelta(hours=1))

    assert notified == []
    assert Flag.objects.get(check_in=again).alerted is False
    assert not Alert.objects.filter(check_in=again).exists()
    assert Alert.objects.filter(check_in=first).count() == 1
    assert not any("alerts_alert" in s for s in sqls)


def test_a_red_check_in_still_raises_its_one_alert(patient):
    red = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)

    notified = flagging.flag_check_in(red.pk, now=TUESDAY_10)

    assert notified
    assert Alert.objects.filter(check_in=red).count() == 1
    red.refresh_from_db()
    assert red.alerted_at == TUESDAY_10 and red.urgency == "red"


def test_a_check_in_is_judged_against_the_baseline_it_was_sent_with(patient):
    """A new usual recorded after the check-in was sent: the worker judges the check-in
    against its own (a usual of 8 stools: 8 is green), not the new one (1: red)."""
    old = BaselineFactory(patient=patient, stools_per_day=8, created_at=TUESDAY_10 - timedelta(1))
    sent = make_check_in(patient, at=TUESDAY_10, baseline=old, stools_per_day=8)
    BaselineFactory(patient=patient, stools_per_day=1, created_at=TUESDAY_10 + timedelta(hours=1))

    flagging.flag_check_in(sent.pk, now=TUESDAY_10 + timedelta(hours=2))

    sent.refresh_from_db()
    assert sent.urgency == "green"
    assert not Flag.objects.filter(check_in=sent).exists()


def test_the_loaded_record_is_what_the_orm_reads(patient):
    """load_for_check_in's one statement: the patient, team, user, active baseline,
    current treatment, the days before and the hour's limit, as the models read them."""
    TreatmentFactory(patient=patient, start_date=date(2026, 11, 1))
    BaselineFactory(patient=patient, created_at=TUESDAY_10 - timedelta(days=30))  # older
    for hours in (26, 30, 60, 80):  # 2 on Monday, 1 on Sunday, 1 before the window
        make_check_in(patient, at=TUESDAY_10 - timedelta(hours=hours), stools_per_day=2)
    token = uuid.uuid4()
    for minutes in (10, 20, 30):
        at = TUESDAY_10 - timedelta(minutes=minutes)
        make_check_in(patient, at=at, fatigue=1, form_token=token if minutes == 20 else None)

    loaded = check_ins.load_for_check_in(
        Patient.objects.filter(pk=patient.pk),
        now=TUESDAY_10,
        per_hour=3,
        form_token=token,
        zone=patient.time_zone,
    )

    context = loaded.check_in_context
    assert loaded == patient and loaded.care_team == patient.care_team
    assert loaded.user == patient.user and loaded.time_zone == patient.time_zone
    active = patient.active_baseline
    assert context.baseline == active and context.baseline.created_at == active.created_at
    assert context.baseline.answers() == active.answers()
    treatment = patient.treatment
    assert (context.treatment.with_chemotherapy, context.treatment.status) == (
        treatment.with_chemotherapy,
        treatment.status,
    )
    day = patient.local_date(TUESDAY_10)
    expected = CheckIn.objects.filter(
        patient=patient, local_date__gte=day - timedelta(days=2), local_date__lt=day
    )
    assert sorted(c.pk for c in context.recent) == sorted(c.pk for c in expected)
    assert all(c.baseline == c_.baseline for c in context.recent for c_ in expected if c == c_)
    assert all(c.submitted_at == CheckIn.objects.get(pk=c.pk).submitted_at for c in context.recent)
    third = CheckIn.objects.filter(patient=patient).order_by("-submitted_at")[2]
    assert context.limited_until == third.submitted_at + timedelta(hours=1)
    assert context.token_used is True
    unused = check_ins.load_for_check_in(
        Patient.objects.filter(pk=patient.pk), now=TUESDAY_10, form_token=uuid.uuid4()
    )
    assert unused.check_in_context.token_used is False
    assert unused.check_in_context.limited_until is None  # no limit asked for


def test_nobody_is_loaded_for_a_queryset_without_a_patient(patient):
    assert check_ins.load_for_check_in(Patient.objects.none()) is None
    assert check_ins.load_for_check_in(Patient.objects.filter(pk=-1)) is None
