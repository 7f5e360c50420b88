"""The care teams' figures, kept one row a team a day (`TeamDay`) so that the figures
page reads at most one row per day of its window, whatever the history.

Counting: `refresh_team_days` counts the given days of a team from the records
themselves (alerts/figures.py, `count_between`: four queries over one day's rows
each) and writes them in one upsert. Days are calendar days in the team's zone,
cut at its midnight; a row says when it was counted (`computed_at`).

Keeping them up to date: `refresh_recent_days`, run by beat every 5 minutes
(alerts.tasks.refresh_team_figures), counts again, for every team:
- today and yesterday: new check-ins, flags and alerts, and alerts raised just
  after midnight for a check-in sent just before it;
- the days of alerts acknowledged since the last run: a late acknowledgement
  changes the waits of the day its alert was raised, however old;
- the days of alerts that may still escalate, or did since the last run (their
  `escalate_at` is at or after the last run's start): escalation changes levels.
Nothing else changes a past day's figures. Run for the first time (no last run), it
counts the whole window. `manage.py refresh_figures --days N` counts N days back
for every team (after the migration, for the bench, or after a team's zone changed).

The page (`team_figures`) reads the window's rows in one query. It counts in the
request only what is missing or out of date, one day's rows each: a day with no
row (the worker has not run since the team was made, or the command was not run);
today's row counted more than FRESH_FOR ago (the worker is behind or stopped); a
past day's row counted before that day ended (then the worker missed its last
run of that day). So with the worker running the page reads rows only, and the
figures are those of `computed_at` of today's row, which the page shows ("up to
HH:MM"), at most 5 minutes old; without it, the page is still right, only slower.

One difference from counting the records at each render: a day's records count
for the team its patients were in when the day was counted, not the team they are
in today (a patient who moves team leaves their past days' figures where they
were). Erasing a patient takes their id out of the rows (alerts/privacy.py); their
check-ins stay counted as numbers, which name nobody.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from clinical.urgency import ALERTING
from patients.models import CareTeam

from ..figures import (
    WINDOW_DAYS,
    Tally,
    TeamFigures,
    count_between,
    day_start,
    figures_of,
    window,
)
from ..models import Alert, TeamDay

# Today's row counted longer ago than this is counted again by the page: beat runs
# the refresh every 5 minutes, so it means the worker is behind or stopped.
FRESH_FOR = timedelta(minutes=15)
# The worker's run counts what changed since the last run started, less this: an
# acknowledgement written just before that start may have committed just after it.
OVERLAP = timedelta(minutes=1)


# Counting days


def refresh_team_days(team: CareTeam, days: Iterable[date], *, now: datetime | None = None):
    """Count each of `days` of the team again from its records and write the rows:
    four queries a day (one day's rows each) and one upsert. Returns the rows."""
    now = now or timezone.now()
    rows = [_row(team, day, now) for day in sorted(set(days))]
    if rows:
        TeamDay.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["team", "day"],
            update_fields=[f.name for f in TeamDay._meta.concrete_fields if f.name in _COUNTED],
        )
    return rows


_COUNTED = {
    "check_ins",
    "patient_ids",
    "alerting_check_ins",
    "flags",
    "alerts",
    "escalated_alerts",
    "escalation_steps",
    "waits",
    "waiting",
    "phone_calls",
    "phone_overrides",
    "computed_at",
}


def _row(team: CareTeam, day: date, now: datetime) -> TeamDay:
    """The day's row, counted from midnight to midnight in the team's zone (up to now)."""
    start = day_start(team, day)
    end = day_start(team, day + timedelta(days=1))
    tally = count_between(team, start, now, before=end)
    return TeamDay(
        team=team,
        day=day,
        check_ins=tally.check_ins,
        patient_ids=sorted(tally.patient_ids),
        alerting_check_ins=tally.alerting_check_ins,
        flags=tally.flags,
        alerts=tally.alerts,
        escalated_alerts=tally.escalated_alerts,
        escalation_steps=tally.escalation_steps,
        waits={u: [_microseconds(w) for w in spans] for u, spans in tally.waits.items()},
        waiting=tally.waiting,
        phone_calls=tally.phone_calls,
        phone_overrides=tally.phone_overrides,
        computed_at=now,
    )


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def tally_of(row: TeamDay) -> Tally:
    """A row read back as the Tally it was written from (an urgency it does not know
    counts nothing)."""
    return Tally(
        check_ins=row.check_ins,
        patient_ids=frozenset(row.patient_ids),
        alerting_check_ins=row.alerting_check_ins,
        flags={u: row.flags.get(u, 0) for u in ALERTING},
        alerts={u: row.alerts.get(u, 0) for u in ALERTING},
        escalated_alerts=row.escalated_alerts,
        escalation_steps=row.escalation_steps,
        waits={u: [timedelta(microseconds=w) for w in row.waits.get(u, [])] for u in ALERTING},
        waiting={u: row.waiting.get(u, 0) for u in ALERTING},
        phone_calls=row.phone_calls,
        phone_overrides=row.phone_overrides,
    )


def window_days(team: CareTeam, now: datetime, days: int = WINDOW_DAYS) -> list[date]:
    """The team's last `days` calendar days, today included, oldest first."""
    today = now.astimezone(team.tz).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


# What the worker runs


def refresh_recent_days(*, now: datetime | None = None, since: datetime | None = None) -> int:
    """Count again, for every team, the days whose figures may have changed since
    `since` (the last run's start): today, yesterday, the days of alerts acknowledged
    since, and of alerts that escalated since or may still escalate. With no `since`
    (the first run), the whole window. Returns how many rows were written.

    Running it twice writes the same rows (only `computed_at` moves)."""
    now = now or timezone.now()
    teams = list(CareTeam.objects.all())
    changed = _days_changed_since(teams, since) if since is not None else {}
    written = 0
    for team in teams:
        if since is None:
            days = set(window_days(team, now))
        else:
            today = now.astimezone(team.tz).date()
            days = {today, today - timedelta(days=1)} | changed.get(team.pk, set())
        written += len(refresh_team_days(team, days, now=now))
    return written


def _days_changed_since(teams: list[CareTeam], since: datetime) -> dict[int, set[date]]:
    """Team id -> the days (team's zone) of alerts whose answer or level may have
    changed since `since`: two queries, over the acknowledgements made since and the
    alerts still in (or just out of) their escalation chain (an indexed column)."""
    zones = {team.pk: team.tz for team in teams}
    acknowledged = Alert.objects.filter(
        check_in__flags__alerted=True,
        check_in__flags__episode__acknowledgements__at__gte=since,
    )
    escalating = Alert.objects.filter(escalate_at__gte=since)
    days: dict[int, set[date]] = {}
    for alerts in (acknowledged, escalating):
        made = alerts.values_list("check_in__patient__care_team", "created_at").distinct()
        for team_id, created_at in made.order_by():
            if team_id in zones:
                days.setdefault(team_id, set()).add(created_at.astimezone(zones[team_id]).date())
    return days


# What the page reads


def team_figures(*, team: CareTeam, now: datetime | None = None) -> TeamFigures:
    """The team's figures over its last 30 calendar days, from its per-day rows: one
    query for the rows; then, only for a day whose row is missing or out of date (see
    the module's docstring), four queries over that day's records and one upsert.

    The figures are as recent as today's row (`until`)."""
    now = now or timezone.now()
    first_day, today, _since = window(team, now)
    rows = {
        row.day: row
        for row in TeamDay.objects.filter(team=team, day__gte=first_day, day__lte=today).order_by()
    }
    stale = [day for day in window_days(team, now) if _needs_counting(team, rows.get(day), now)]
    for row in refresh_team_days(team, stale, now=now):
        rows[row.day] = row
    tally = Tally.of(tally_of(row) for row in rows.values())
    return figures_of(team, tally, now, until=rows[today].computed_at)


def _needs_counting(team: CareTeam, row: TeamDay | None, now: datetime) -> bool:
    """A day is counted again in the request when it has no row, or its row was
    counted before the day ended and more than FRESH_FOR ago."""
    if row is None:
        return True
    day_ended = day_start(team, row.day + timedelta(days=1))
    return row.computed_at < min(day_ended, now - FRESH_FOR)


def refresh_all_days(*, days: int = WINDOW_DAYS, now: datetime | None = None) -> int:
    """Count the last `days` days (today included) of every team: the backfill after
    the migration, or for the bench. Returns how many rows were written."""
    now = now or timezone.now()
    written = 0
    for team in CareTeam.objects.all():
        written += len(refresh_team_days(team, window_days(team, now, days), now=now))
    return written


# Erasure


def forget_patient(patient_id: int) -> int:
    """Take an erased patient's id out of every row that holds it (of any team: a
    patient may have moved). PostgreSQL finds those rows (JSON containment); other
    databases read every row's ids. Two queries. Returns how many rows changed."""
    rows = TeamDay.objects.only("pk", "patient_ids")
    if connection.features.supports_json_field_contains:
        rows = rows.filter(patient_ids__contains=[patient_id])
    changed = []
    for row in rows:
        if patient_id in row.patient_ids:
            row.patient_ids = [p for p in row.patient_ids if p != patient_id]
            changed.append(row)
    TeamDay.objects.bulk_update(changed, ["patient_ids"])
    return len(changed)
