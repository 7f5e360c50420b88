"""A team's figures for the last 30 days: what came in, what alerted, how fast the
team acknowledged, what escalated; and who may see them.

Each figure is checked both ways it is computed: counted from the records over the
window (`team_figures_from_records`) and read from the per-day rows the worker keeps,
once it has counted them (`team_figures`; tests/alerts/test_figures_aggregate.py has
the rows' own tests)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.figures import human_duration, percentile, team_figures_from_records
from alerts.models import Alert
from alerts.services import escalation, flagging, triage
from alerts.services.figures import refresh_all_days, team_figures

from ..conftest import login
from ..factories import BaselineFactory, CareTeamFactory, PatientFactory, make_check_in

# A Tuesday; London is on GMT (UTC+0) in late November.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# The 30 days are 26 Oct to 24 Nov in London: they start at midnight of 26 Oct.
WINDOW_START = datetime(2026, 10, 26, 0, 0, tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def a_patient(team):
    patient = PatientFactory(care_team=team)
    BaselineFactory(patient=patient)
    return patient


def checked_in(patient, at, **answers):
    """A check-in at `at`, evaluated by the worker then: its flags and alert made."""
    check_in = make_check_in(patient, at=at, **answers)
    flagging.flag_check_in(check_in.pk, now=at)
    return check_in


def acknowledged(check_in, user, after: timedelta):
    """Each of the check-in's flags acknowledged: its alert stops when none is open."""
    for flag in check_in.flags.order_by("pk"):
        triage.acknowledge_flag(flag, user, now=check_in.submitted_at + after)


@pytest.fixture
def month(team, nurse, other_patient, other_nurse):
    """A month of the team's check-ins, each symptom on its own patient so that no
    two check-ins share an episode. In hours, red goes to the nurse specialist,
    then the 24-hour line after 15 minutes, then the registrar.

    Counted (9 check-ins from 7 patients; 6 at amber or above):
    - p1: green twice; p2: red (stools 9/day, acknowledged in 4 min) and green today;
    - p3: red (headache 3), escalated once at 15 min, acknowledged at 1 h 20 min;
    - p4: amber (stools 3/day), acknowledged in 30 min;
    - p5: emergency (chest pain), escalated twice, never acknowledged;
    - p6: amber (stools 3/day) yesterday, not acknowledged, not yet escalated;
    - p7: two ambers (stools 3/day, fatigue 3) made red by R15: 2 red flags, 1 red
      alert, acknowledged in 10 min.
    Not counted: another patient's red check-in a minute before the window, and
    another team's red check-in in the window, both acknowledged at once.
    """
    p1, p2, p3, p4, p5, p6, p7, before = (a_patient(team) for _ in range(8))
    tue, wed, thu = (datetime(2026, 11, day, 10, 0, tzinfo=UTC) for day in (17, 18, 19))

    early = checked_in(before, WINDOW_START - minutes(1), stools_per_day=9)
    acknowledged(early, nurse, minutes(2))
    elsewhere = checked_in(other_patient, tue, stools_per_day=9)
    acknowledged(elsewhere, other_nurse, minutes(1))

    checked_in(p1, NOW - timedelta(days=20), stools_per_day=1)
    checked_in(p1, NOW - timedelta(days=19), stools_per_day=1, fatigue=1)

    acknowledged(checked_in(p2, tue, stools_per_day=9), nurse, minutes(4))
    checked_in(p2, NOW - timedelta(hours=1), stools_per_day=1)

    headache = checked_in(p3, tue + timedelta(hours=1), headache=3)
    escalation.escalate_overdue_alerts(now=headache.submitted_at + minutes(16))
    acknowledged(headache, nurse, minutes(80))

    acknowledged(checked_in(p4, wed, stools_per_day=3), nurse, minutes(30))
    two_ambers = checked_in(p7, wed + timedelta(hours=2), stools_per_day=3, fatigue=3)
    acknowledged(two_ambers, nurse, minutes(10))

    checked_in(p5, thu, chest_pain=True)
    escalation.escalate_overdue_alerts(now=thu + minutes(16))
    escalation.escalate_overdue_alerts(now=thu + minutes(32))

    checked_in(p6, NOW - timedelta(days=1), stools_per_day=3)


# The figures


@pytest.fixture(params=["records", "rows"])
def figures_at(request):
    """The team's figures at `now`: counted from the records, or read from the rows
    the worker counted at that moment."""

    def figures(team, now):
        if request.param == "records":
            return team_figures_from_records(team=team, now=now)
        refresh_all_days(now=now)
        return team_figures(team=team, now=now)

    return figures


def test_it_counts_the_check_ins_and_the_share_that_alerted(team, month, figures_at):
    figures = figures_at(team, NOW)

    assert (figures.first_day.isoformat(), figures.last_day.isoformat()) == (
        "2026-10-26",
        "2026-11-24",
    )
    assert figures.since == WINDOW_START
    assert figures.check_ins == 9
    assert figures.patients == 7
    assert figures.alerting_check_ins == 6
    assert figures.share_alerting == pytest.approx(6 / 9)
    assert figures.share_alerting_percent == "66.7%"


def test_it_counts_flags_and_alerts_per_urgency(team, month, figures_at):
    figures = figures_at(team, NOW)

    assert figures.flags == {"emergency": 1, "red": 4, "amber": 2}
    assert figures.alerts == {"emergency": 1, "red": 3, "amber": 2}
    assert (figures.total_flags, figures.total_alerts) == (7, 6)


def test_it_gives_the_median_and_90th_percentile_time_to_acknowledge_per_urgency(
    team, month, figures_at
):
    times = {t.urgency: t for t in figures_at(team, NOW).acknowledge_times}

    # Red waits, sorted: 4, 10, 80 min. Median 10; 90th: 10 + (80 - 10) x 0.8 = 66.
    red = times["red"]
    assert (red.acknowledged, red.unacknowledged) == (3, 0)
    assert (red.median, red.p90) == (minutes(10), minutes(66))
    assert (red.median_display, red.p90_display) == ("10 min", "1 h 6 min")
    amber = times["amber"]
    assert (amber.acknowledged, amber.unacknowledged) == (1, 1)
    assert (amber.median, amber.p90) == (minutes(30), minutes(30))
    emergency = times["emergency"]
    assert (emergency.acknowledged, emergency.unacknowledged) == (0, 1)
    assert (emergency.median, emergency.p90) == (None, None)
    assert [t.urgency for t in figures_at(team, NOW).acknowledge_times] == [
        "emergency",
        "red",
        "amber",
    ]


def test_it_counts_escalated_alerts_and_escalation_steps(team, month, figures_at):
    figures = figures_at(team, NOW)

    assert sorted(Alert.objects.filter(level__gt=0).values_list("level", flat=True)) == [1, 2]
    assert figures.escalated_alerts == 2
    assert figures.escalation_steps == 3


def test_the_window_is_30_calendar_days_in_the_teams_time_zone(other_team, figures_at):
    """New York is on EDT (UTC-4) on 26 Oct 2026: its window starts at 04:00 UTC."""
    patient = a_patient(other_team)
    start = datetime(2026, 10, 26, 4, 0, tzinfo=UTC)
    checked_in(patient, start - timedelta(seconds=1), stools_per_day=1)
    checked_in(patient, start, stools_per_day=1)
    checked_in(patient, NOW, stools_per_day=1)

    figures = figures_at(other_team, NOW)

    assert figures.since == start
    assert figures.check_ins == 2


def test_an_empty_team_has_zero_counts_and_no_times(db, figures_at):
    figures = figures_at(CareTeamFactory(), NOW)

    assert figures.is_empty
    assert (figures.check_ins, figures.patients, figures.alerting_check_ins) == (0, 0, 0)
    assert figures.share_alerting is None
    assert figures.flags == figures.alerts == {"emergency": 0, "red": 0, "amber": 0}
    assert all(t.median is None and t.acknowledged == 0 for t in figures.acknowledge_times)
    assert (figures.escalated_alerts, figures.escalation_steps) == (0, 0)


def test_counting_from_the_records_takes_four_queries_however_much_there_is(
    team, nurse, django_assert_num_queries
):
    def grow(n):
        for i in range(n):
            patient = a_patient(team)
            at = NOW - timedelta(days=i + 1)
            acknowledged(checked_in(patient, at, stools_per_day=9), nurse, minutes(i + 1))
            checked_in(patient, at + timedelta(hours=3), stools_per_day=1)

    grow(1)
    with django_assert_num_queries(4):
        team_figures_from_records(team=team, now=NOW)
    grow(6)
    with django_assert_num_queries(4):
        assert team_figures_from_records(team=team, now=NOW).check_ins == 14


def test_reading_the_counted_rows_takes_one_query_however_much_there_is(
    team, nurse, django_assert_num_queries
):
    def grow(n):
        for i in range(n):
            patient = a_patient(team)
            at = NOW - timedelta(days=i + 1)
            acknowledged(checked_in(patient, at, stools_per_day=9), nurse, minutes(i + 1))
            checked_in(patient, at + timedelta(hours=3), stools_per_day=1)
        refresh_all_days(now=NOW)

    grow(1)
    with django_assert_num_queries(1):
        team_figures(team=team, now=NOW)
    grow(6)
    with django_assert_num_queries(1):
        assert team_figures(team=team, now=NOW).check_ins == 14


def test_percentiles_interpolate_between_the_nearest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == pytest.approx(91)
    assert percentile([minutes(4), minutes(10), minutes(80)], 0.9) == minutes(66)


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=4, seconds=20), "4 min"),
        (timedelta(minutes=59, seconds=40), "1 h"),
        (timedelta(hours=1, minutes=20), "1 h 20 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(days=1, hours=3, minutes=10), "1 d 3 h"),
        (timedelta(days=2), "2 d"),
        (None, ""),
    ],
)
def test_durations_read_as_people_say_them(span, said):
    assert human_duration(span) == said


# The page


def figures_url(team):
    return reverse("alerts:figures", args=[team.pk])


def test_a_nurse_of_the_team_sees_its_figures(nurse_client, team, month):
    """The worker counted the days two minutes ago: the page reads its rows."""
    refresh_all_days(now=NOW - minutes(2))
    with time_machine.travel(NOW, tick=False):
        response = nurse_client.get(figures_url(team))

    assert response.status_code == 200
    page = response.text
    assert "Figures: Immunotherapy Unit" in page
    assert "26 Oct 2026 to 24 Nov 2026 up to 11:58" in page
    assert "(Europe/London)" in page
    assert "9 check-ins from 7 patients" in page
    assert "66.7% (6 of 9 check-ins at amber or above)" in page
    assert "<caption>Flags and alerts raised per urgency</caption>" in page
    assert '<th scope="row">Red</th><td class="text-end">4</td><td class="text-end">3</td>' in page
    assert "1 h 6 min" in page and "30 min" in page
    assert "none acknowledged" in page  # emergency
    assert "2 alerts of 6 escalated to a further contact, in 3 escalation steps in all." in page


def test_an_empty_team_says_there_is_nothing_to_count(nurse_client, team):
    with time_machine.travel(NOW, tick=False):
        response = nurse_client.get(figures_url(team))

    assert response.status_code == 200
    assert "there is nothing to count yet" in response.text
    assert "<table" not in response.text


def test_a_nurse_of_another_team_a_patient_and_a_stranger_get_404(
    client, team, other_nurse, patient, nurse
):
    assert login(client, other_nurse).get(figures_url(team)).status_code == 404
    assert login(client, patient.user).get(figures_url(team)).status_code == 404


def test_an_unknown_team_is_404_even_for_a_member(nurse_client, team):
    assert nurse_client.get(reverse("alerts:figures", args=[team.pk + 1000])).status_code == 404


def test_logged_out_visitors_are_sent_to_log_in(client, team):
    response = client.get(figures_url(team))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_staff_admin_sees_any_team(admin_client_, team, other_team):
    assert admin_client_.get(figures_url(team)).status_code == 200
    assert admin_client_.get(figures_url(other_team)).status_code == 200


def test_the_page_runs_as_many_queries_for_a_big_team_as_for_a_small_one(nurse_client, team, nurse):
    def grow(n):
        for i in range(n):
            patient = a_patient(team)
            at = NOW - timedelta(days=i + 1)
            check_in = checked_in(patient, at, stools_per_day=9)
            escalation.escalate_overdue_alerts(now=at + minutes(16))
            acknowledged(check_in, nurse, minutes(20))
        refresh_all_days(now=NOW)  # the worker's run

    def queries():
        with (
            time_machine.travel(NOW, tick=False),
            CaptureQueriesContext(connection) as captured,
        ):
            assert nurse_client.get(figures_url(team)).status_code == 200
        return len(captured)

    grow(1)
    queries()  # the session's first request keeps the viewer's time zone in it
    small = queries()
    grow(8)
    assert queries() == small
