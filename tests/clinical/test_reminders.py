"""Reminder scheduling across time zones and daylight-saving changes (pure)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinical.reminders import NONE, WEEKLY, ReminderState, reminder_due


def state(**changes):
    base = dict(
        time_zone="Europe/London",
        reminder_time=time(18, 0),
        treatment_status="active",
        after_treatment=WEEKLY,
        last_check_in=date(2026, 11, 23),
        last_reminder=date(2026, 11, 23),
    )
    return ReminderState(**(base | changes))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_it_is_due_at_the_chosen_local_time_on_a_day_without_a_check_in():
    assert not reminder_due(state(), utc(2026, 11, 24, 17, 59))
    assert reminder_due(state(), utc(2026, 11, 24, 18, 0))
    assert reminder_due(state(), utc(2026, 11, 24, 23, 59))


def test_it_is_not_due_on_a_day_with_a_check_in_or_a_reminder_already():
    assert not reminder_due(state(last_check_in=date(2026, 11, 24)), utc(2026, 11, 24, 19, 0))
    assert not reminder_due(state(last_reminder=date(2026, 11, 24)), utc(2026, 11, 24, 19, 0))


@pytest.mark.parametrize(
    ("zone", "due_utc"),
    [
        ("America/New_York", utc(2026, 11, 24, 23, 0)),  # 18:00 EST
        ("Asia/Kolkata", utc(2026, 11, 24, 12, 30)),  # 18:00 IST
        ("Australia/Sydney", utc(2026, 11, 24, 7, 0)),  # 18:00 AEDT
    ],
)
def test_it_follows_the_patients_own_zone(zone, due_utc):
    s = state(time_zone=zone)
    assert not reminder_due(s, due_utc - timedelta(minutes=1))
    assert reminder_due(s, due_utc)


def test_the_day_is_the_patients_day_not_utcs():
    # 20:00 in New York on the 24th is 01:00 UTC on the 25th: a check-in on the
    # patient's 24th counts, whatever the UTC date says.
    s = state(time_zone="America/New_York", last_check_in=date(2026, 11, 24))
    assert not reminder_due(s, utc(2026, 11, 25, 1, 0))


def test_summer_time_moves_the_utc_instant_not_the_local_time():
    # London: 18:00 is 17:00 UTC in summer (BST) and 18:00 UTC in winter (GMT).
    summer = state(last_check_in=date(2026, 7, 1), last_reminder=date(2026, 7, 1))
    assert reminder_due(summer, utc(2026, 7, 2, 17, 0))
    assert not reminder_due(summer, utc(2026, 7, 2, 16, 59))


def test_a_time_skipped_by_the_clocks_going_forward_is_reached_just_after():
    # London, 29 March 2026: 01:00 GMT becomes 02:00 BST; 01:30 never happens.
    s = state(
        reminder_time=time(1, 30), last_check_in=date(2026, 3, 28), last_reminder=date(2026, 3, 28)
    )
    assert not reminder_due(s, utc(2026, 3, 29, 0, 59))  # 00:59 GMT
    assert reminder_due(s, utc(2026, 3, 29, 1, 0))  # 02:00 BST


def test_a_time_repeated_by_the_clocks_going_back_reminds_once():
    # New York, 1 November 2026: 01:30 happens twice (EDT, then EST).
    s = state(
        time_zone="America/New_York",
        reminder_time=time(1, 30),
        last_check_in=date(2026, 10, 31),
        last_reminder=date(2026, 10, 31),
    )
    first = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert reminder_due(s, first)
    sent = state(
        time_zone="America/New_York",
        reminder_time=time(1, 30),
        last_check_in=date(2026, 10, 31),
        last_reminder=date(2026, 11, 1),
    )
    assert not reminder_due(sent, utc(2026, 11, 1, 6, 30))  # 01:30 EST, again


def test_after_treatment_the_team_chooses_weekly_or_none():
    finished = state(
        treatment_status="finished",
        last_check_in=date(2026, 11, 18),
        last_reminder=date(2026, 11, 18),
    )
    assert not reminder_due(finished, utc(2026, 11, 24, 18, 0))  # 6 days
    assert reminder_due(finished, utc(2026, 11, 25, 18, 0))  # 7 days
    never = state(
        treatment_status="finished", after_treatment=NONE, last_check_in=None, last_reminder=None
    )
    assert not reminder_due(never, utc(2026, 11, 25, 18, 0))


def test_no_treatment_recorded_means_no_reminder():
    assert not reminder_due(state(treatment_status=None), utc(2026, 11, 24, 19, 0))
