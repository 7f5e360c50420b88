"""The care teams' figures kept one row a team a day (alerts/services/figures.py):
the rows add up to what counting the records gives, the page reads them in a number
of queries that does not grow with history, the worker's run can run twice, a late
acknowledgement or escalation reaches an old day, days are cut at the team's
midnight, and an erased patient's id leaves the rows."""

from datetime import UTC, date, datetime, timedelta
from random import Random

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts import tasks
from alerts.figures import team_figures_from_records
from alerts.models import Alert, Heartbeat, TeamDay
from alerts.services import escalation
from alerts.services.figures import (
    FRESH_FOR,
    refresh_all_days,
    refresh_team_days,
    team_figures,
)
from patients.privacy import erase_patient

from .test_figures import NOW, a_patient, acknowledged, checked_in, minutes


def seed_days(team, nurse, days: range, *, seed: int = 11, patients=None):
    """Check-ins of a few patients on each of `days` (days before NOW): random answers
    (green, amber, red, now and then an emergency), some acknowledged after a random
    wait, some left waiting; the escalation run after each day's check-ins."""
    rng = Random(seed)
    patients = patients or [a_patient(team) for _ in range(4)]
    for back in days:
        for patient in patients:
            if rng.random() < 0.3:
                continue
            at = NOW - timedelta(days=back, hours=rng.randint(0, 20), minutes=rng.randint(0, 59))
            answers = {
                "stools_per_day": rng.choice([1, 1, 3, 9]),
                "headache": rng.choice([0, 0, 1, 3]),
                "chest_pain": rng.random() < 0.05,
            }
            check_in = checked_in(patient, at, **answers)
            wait = rng.choice([None, 3, 20, 95, 60 * 30])
            escalation.escalate_overdue_alerts(now=at + minutes(16))
            if wait is not None:
                acknowledged(check_in, nurse, minutes(wait))
    return patients


def rows_of(team):
    """The team's rows as data, without when they were counted."""
    return [
        {k: v for k, v in row.items() if k not in ("id", "computed_at")}
        for row in TeamDay.objects.filter(team=team).order_by("day").values()
    ]


# The rows add up to the records


def test_the_rows_give_the_figures_counting_the_records_gives(team, nurse, other_team):
    """A month of two teams (London; New York, whose clocks change on 1 Nov 2026)."""
    seed_days(team, nurse, range(40))
    seed_days(other_team, nurse, range(35), seed=12)
    assert Alert.objects.count() > 20  # enough to make the percentiles mean something

    refresh_all_days(days=40, now=NOW)

    for each in (team, other_team):
        from_rows = team_figures(team=each, now=NOW)
        from_records = team_figures_from_records(team=each, now=NOW)
        assert from_rows == from_records
        assert from_rows.check_ins > 0 and from_rows.patients == 4


def test_a_day_row_holds_that_days_counts(team, nurse):
    patient = a_patient(team)
    red = checked_in(patient, NOW - timedelta(days=2), stools_per_day=9)
    acknowledged(red, nurse, minutes(7))
    checked_in(patient, NOW - timedelta(days=2, hours=-1), stools_per_day=1)

    (row,) = refresh_team_days(team, [date(2026, 11, 22)], now=NOW)

    saved = TeamDay.objects.get(team=team, day=date(2026, 11, 22))
    assert (saved.check_ins, saved.patient_ids, saved.alerting_check_ins) == (2, [patient.pk], 1)
    assert saved.flags == saved.alerts == {"emergency": 0, "red": 1, "amber": 0}
    assert saved.waits == {"emergency": [], "red": [7 * 60 * 1_000_000], "amber": []}
    assert saved.waiting == {"emergency": 0, "red": 0, "amber": 0}
    assert saved.computed_at == row.computed_at == NOW


# The page's queries


def figures_url(team):
    return reverse("alerts:figures", args=[team.pk])


def page_queries(client, team) -> int:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
        response = client.get(figures_url(team))
    assert response.status_code == 200
    return len(captured)


def test_the_page_runs_as_many_queries_for_30_days_of_history_as_for_3(
    nurse_client, team, nurse, django_assert_num_queries
):
    patients = seed_days(team, nurse, range(3))
    refresh_all_days(now=NOW)
    page_queries(nurse_client, team)  # the session's first request keeps the viewer's zone
    with django_assert_num_queries(1):  # the window's rows, nothing else
        three_days = team_figures(team=team, now=NOW)
    after_three = page_queries(nurse_client, team)

    seed_days(team, nurse, range(3, 60), patients=patients)
    refresh_all_days(days=60, now=NOW)
    with django_assert_num_queries(1):
        thirty_days = team_figures(team=team, now=NOW)

    assert page_queries(nurse_client, team) == after_three
    assert thirty_days.check_ins > three_days.check_ins


def test_the_page_counts_missing_days_once_and_keeps_them(team, nurse, django_assert_num_queries):
    """No worker has run: the page counts the window itself (four queries a day and
    one upsert), then reads the rows it wrote."""
    seed_days(team, nurse, range(5))

    with django_assert_num_queries(1 + 4 * 30 + 1):
        figures = team_figures(team=team, now=NOW)

    assert TeamDay.objects.filter(team=team).count() == 30
    assert figures == team_figures_from_records(team=team, now=NOW)
    with django_assert_num_queries(1):
        team_figures(team=team, now=NOW)


def test_the_page_counts_today_again_once_todays_row_is_out_of_date(
    team, nurse, django_assert_num_queries
):
    patient = a_patient(team)
    refresh_all_days(now=NOW - minutes(10))
    checked_in(patient, NOW - minutes(5), stools_per_day=9)

    # Counted 10 minutes ago: fresh enough, the page says up to when.
    with django_assert_num_queries(1):
        figures = team_figures(team=team, now=NOW)
    assert (figures.check_ins, figures.until) == (0, NOW - minutes(10))

    # Counted longer ago than FRESH_FOR: the worker is behind, the page counts today.
    later = NOW - minutes(10) + FRESH_FOR + minutes(1)
    with django_assert_num_queries(1 + 4 + 1):
        figures = team_figures(team=team, now=later)
    assert (figures.check_ins, figures.until) == (1, later)
    assert figures == team_figures_from_records(team=team, now=later)


def test_a_past_day_counted_before_it_ended_is_counted_again(team, nurse):
    """The worker stopped at 23:00 and never counted the rest of that day."""
    patient = a_patient(team)
    yesterday_late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    refresh_all_days(now=yesterday_late - minutes(30))
    checked_in(patient, yesterday_late, stools_per_day=1)

    figures = team_figures(team=team, now=NOW)

    assert figures.check_ins == 1
    assert TeamDay.objects.get(team=team, day=date(2026, 11, 23)).check_ins == 1


# The worker's run


def run_the_task(at):
    with time_machine.travel(at, tick=False):
        tasks.refresh_team_figures()


def test_beat_runs_the_refresh_every_5_minutes_off_the_alerts_queues():
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-team-figures"]
    assert entry["task"] == tasks.refresh_team_figures.name
    assert entry["schedule"] == 300.0
    assert entry["options"]["queue"] == "reminders"


def test_the_first_run_counts_the_window_and_a_second_changes_nothing(team, nurse, other_team):
    seed_days(team, nurse, range(10))

    run_the_task(NOW)
    first = rows_of(team)
    run_the_task(NOW)

    assert len(first) == 30
    assert rows_of(team) == first
    assert TeamDay.objects.filter(team=other_team).count() == 30
    assert Heartbeat.objects.get(name=tasks.refresh_team_figures.name).last_run_at == NOW
    assert team_figures(team=team, now=NOW) == team_figures_from_records(team=team, now=NOW)


def test_later_runs_count_today_and_yesterday(team, nurse):
    patient = a_patient(team)
    run_the_task(NOW - minutes(5))
    checked_in(patient, NOW - timedelta(days=1), stools_per_day=1)
    checked_in(patient, NOW - minutes(1), stools_per_day=1)

    run_the_task(NOW)

    rows = {r.day: r for r in TeamDay.objects.filter(team=team)}
    assert rows[date(2026, 11, 24)].check_ins == rows[date(2026, 11, 23)].check_ins == 1
    assert rows[date(2026, 11, 24)].computed_at == NOW
    assert rows[date(2026, 11, 20)].computed_at == NOW - minutes(5)  # left as it was


def test_a_late_acknowledgement_reaches_its_alerts_day(team, nurse):
    """An alert raised ten days ago, acknowledged today: its day's waits change."""
    patient = a_patient(team)
    old = checked_in(patient, NOW - timedelta(days=10), stools_per_day=9)
    run_the_task(NOW - minutes(10))
    assert team_figures(team=team, now=NOW - minutes(10)).acknowledge_times[1].unacknowledged == 1

    acknowledged(old, nurse, timedelta(days=10) - minutes(7))
    run_the_task(NOW - minutes(5))

    figures = team_figures(team=team, now=NOW - minutes(5))
    red = figures.acknowledge_times[1]
    assert (red.urgency, red.acknowledged, red.unacknowledged) == ("red", 1, 0)
    assert red.median == timedelta(days=10) - minutes(7)
    assert figures == team_figures_from_records(team=team, now=NOW - minutes(5))


def test_a_late_escalation_reaches_its_alerts_day(team, nurse):
    """An alert raised four days ago that nobody escalated (the escalation run was
    stopped) escalates today: its day's escalations change."""
    patient = a_patient(team)
    old = checked_in(patient, NOW - timedelta(days=4), stools_per_day=9)
    run_the_task(NOW - minutes(10))

    assert escalation.escalate_overdue_alerts(now=NOW - minutes(8)) == 1
    run_the_task(NOW - minutes(5))

    assert Alert.objects.get(check_in=old).level == 1
    figures = team_figures(team=team, now=NOW - minutes(5))
    assert (figures.escalated_alerts, figures.escalation_steps) == (1, 1)
    assert figures == team_figures_from_records(team=team, now=NOW - minutes(5))


def test_the_command_counts_the_days_asked_for_every_team(
    team, other_team, nurse, django_assert_num_queries
):
    seed_days(team, nurse, range(45))

    with time_machine.travel(NOW, tick=False):
        call_command("refresh_figures", "--days", "45")

    assert TeamDay.objects.filter(team=team).count() == 45
    assert TeamDay.objects.filter(team=other_team).count() == 45
    assert TeamDay.objects.filter(team=team, day=date(2026, 10, 11)).exists()
    with django_assert_num_queries(1):
        from_rows = team_figures(team=team, now=NOW)
    assert from_rows == team_figures_from_records(team=team, now=NOW)


# Time zones


def test_a_new_york_teams_days_are_cut_at_its_midnight(other_team, nurse):
    """New York is on EDT (UTC-4) until 1 Nov 2026 02:00 and on EST (UTC-5) after:
    22 Nov starts at 05:00 UTC, and 1 Nov lasts 25 hours (04:00 UTC to 05:00 UTC
    the next day)."""
    patient = a_patient(other_team)
    for at in (
        datetime(2026, 11, 22, 4, 59, tzinfo=UTC),  # 21 Nov, 23:59 in New York
        datetime(2026, 11, 22, 5, 0, tzinfo=UTC),  # 22 Nov, 00:00
        datetime(2026, 11, 1, 3, 59, tzinfo=UTC),  # 31 Oct, 23:59 EDT
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC),  # 1 Nov, 00:00 EDT
        datetime(2026, 11, 2, 4, 59, tzinfo=UTC),  # 1 Nov, 23:59 EST
        datetime(2026, 11, 2, 5, 0, tzinfo=UTC),  # 2 Nov, 00:00 EST
    ):
        checked_in(patient, at, stools_per_day=1)

    refresh_all_days(now=NOW)

    counts = dict(TeamDay.objects.filter(team=other_team).values_list("day", "check_ins"))
    assert counts[date(2026, 11, 21)] == counts[date(2026, 11, 22)] == 1
    assert counts[date(2026, 10, 31)] == 1
    assert counts[date(2026, 11, 1)] == 2
    assert counts[date(2026, 11, 2)] == 1
    assert team_figures(team=other_team, now=NOW) == team_figures_from_records(
        team=other_team, now=NOW
    )


# Erasure


def test_erasing_a_patient_takes_their_id_out_of_the_rows(team, nurse, admin_user):
    patients = seed_days(team, nurse, range(6))
    refresh_all_days(now=NOW)
    erased = patients[0]
    held = [r for r in TeamDay.objects.filter(team=team) if erased.pk in r.patient_ids]
    assert held
    check_ins_before = team_figures(team=team, now=NOW).check_ins

    erase_patient(erased, admin_user)

    assert not [r for r in TeamDay.objects.all() if erased.pk in r.patient_ids]
    figures = team_figures(team=team, now=NOW)
    assert figures.patients == 3
    assert figures.check_ins == check_ins_before  # numbers, naming nobody


@pytest.mark.parametrize("days", [0, -1])
def test_the_command_refuses_fewer_than_one_day(db, days):
    with pytest.raises(Exception, match="at least 1"):
        call_command("refresh_figures", "--days", str(days))
