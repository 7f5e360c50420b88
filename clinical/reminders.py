"""When a patient is expected to check in (REFERENCE.md R16): reminders and missed check-ins.

A pure decision, in the patient's own calendar and clock: on treatment, once a
day at their chosen local time if they have not checked in that day; after
treatment has finished or stopped, as their team configures: weekly (late
effects can appear more than a year later) or not at all. A patient on
treatment or in follow-up with no check-in for MISSED_AFTER_DAYS is on the
team's list of missed check-ins.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

# A treatment's status, as the care team records it: on treatment, or after it.
ON_TREATMENT = ("active", "held")
AFTER_TREATMENT = ("stopped", "finished")
TREATMENT_STATUSES = (*ON_TREATMENT, *AFTER_TREATMENT)
# What a team chooses for its patients after treatment.
WEEKLY, NONE = "weekly", "none"

# Missed check-ins (R16): days without one before the team is told, and how long
# after the last dose a finished or stopped treatment keeps a patient in follow-up
# (late effects can appear long after treatment).
MISSED_AFTER_DAYS = 3
FOLLOW_UP_DAYS = 365


@dataclass(frozen=True)
class ReminderState:
    time_zone: str
    reminder_time: time  # the patient's chosen local time
    treatment_status: str | None  # None: no treatment recorded
    after_treatment: str  # the team's choice: WEEKLY or NONE
    last_check_in: date | None  # local date of the latest check-in
    last_reminder: date | None  # local date of the latest reminder sent


def reminder_due(state: ReminderState, now: datetime) -> bool:
    """Whether a reminder is due at `now` (aware). Once a day at most; never before
    the chosen local time; never on a day with a check-in. A chosen time that a
    clock change skips is reached at the first minute after it; a time that a
    clock change repeats is sent once (the day has its reminder already)."""
    local = now.astimezone(ZoneInfo(state.time_zone))
    today = local.date()
    if local.time().replace(tzinfo=None) < state.reminder_time:
        return False
    if state.last_check_in == today or state.last_reminder == today:
        return False
    if state.treatment_status in ON_TREATMENT:
        return True
    if state.treatment_status in AFTER_TREATMENT and state.after_treatment == WEEKLY:
        return _days_since(state.last_check_in, today) >= 7 and (
            _days_since(state.last_reminder, today) >= 7
        )
    return False


def _days_since(day: date | None, today: date) -> int:
    return (today - day).days if day else 10**6
