"""A care team's figures for the last 30 days: how much came in, what alerted, how fast
the team answered, and what escalated.

Two ways to the same figures:

- `count_between` counts the records themselves (check-ins, flags, alerts) made in a
  span: four aggregate queries over that span's rows. `team_figures_from_records`
  counts the whole window that way: what the page did before the worker kept a
  per-day aggregate, kept as the reference the aggregate is tested against.
- The page reads the per-day rows the worker keeps (alerts/services/figures.py,
  `TeamDay`): each is one `Tally` of one day, and a `Tally` adds up. Nothing here
  is lost by adding days up: distinct patients are kept as the set of their ids and
  acknowledgement waits as the list of them, so the 30 days' distinct count, median
  and 90th percentile are those of the records themselves.

The median and 90th percentile are computed here (one team's month of alerts is a
list that fits in memory, and the arithmetic is the same on SQLite and PostgreSQL).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from clinical.urgency import ALERTING, LABELS
from patients.models import CareTeam, CheckIn, Flag

from .models import Alert

WINDOW_DAYS = 30


def percentile(values: list, fraction: float):
    """The value below which `fraction` of sorted `values` lie, interpolating linearly
    between the two nearest ranks (numpy's default, Excel's PERCENTILE.INC).

    Works on anything that subtracts, adds and scales, such as timedeltas. None for
    no values.
    """
    if not values:
        return None
    rank = fraction * (len(values) - 1)
    below = math.floor(rank)
    above = min(below + 1, len(values) - 1)
    return values[below] + (values[above] - values[below]) * (rank - below)


def human_duration(span: timedelta | None) -> str:
    """A duration as people say it: '40 s', '4 min', '1 h 20 min', '2 d 3 h'."""
    if span is None:
        return ""
    seconds = round(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    hours = round(minutes / 60)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True)
class AcknowledgeTimes:
    """One urgency's alerts: how long acknowledged ones waited, and how many still wait."""

    urgency: str
    acknowledged: int
    unacknowledged: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def label(self) -> str:
        return LABELS[self.urgency]

    @property
    def median_display(self) -> str:
        return human_duration(self.median)

    @property
    def p90_display(self) -> str:
        return human_duration(self.p90)


@dataclass(frozen=True)
class TeamFigures:
    team: CareTeam
    first_day: date  # in the team's time zone
    last_day: date  # today, in the team's time zone
    since: datetime  # the first day's midnight in the team's zone
    until: datetime  # how recent: now, or when today's figures were counted
    check_ins: int
    patients: int  # distinct patients who checked in
    alerting_check_ins: int  # check-ins that raised an alert (not those joining an episode)
    flags: dict[str, int]  # urgency -> count, most urgent first
    alerts: dict[str, int]
    acknowledge_times: list[AcknowledgeTimes]  # most urgent first
    escalated_alerts: int  # alerts escalated at least once
    escalation_steps: int  # every escalation of every alert
    phone_calls: int = 0  # check-ins a clinician recorded on a phone call
    phone_overrides: int = 0  # of those, with an outcome below the engine's urgency

    @property
    def share_alerting(self) -> float | None:
        """Alerting check-ins as a fraction of all; None with no check-ins."""
        return self.alerting_check_ins / self.check_ins if self.check_ins else None

    @property
    def share_alerting_percent(self) -> str:
        share = self.share_alerting
        return "" if share is None else f"{share * 100:.1f}%"

    @property
    def total_flags(self) -> int:
        return sum(self.flags.values())

    @property
    def total_alerts(self) -> int:
        return sum(self.alerts.values())

    @property
    def per_urgency(self) -> list[tuple[str, str, int, int]]:
        """(urgency, label, flags, alerts), most urgent first: the table's rows."""
        return [(u, LABELS[u], self.flags[u], self.alerts[u]) for u in ALERTING]

    @property
    def is_empty(self) -> bool:
        return not (self.check_ins or self.total_flags or self.total_alerts or self.phone_calls)


def window(team: CareTeam, now: datetime) -> tuple[date, date, datetime]:
    """The last WINDOW_DAYS calendar days in the team's zone, today included:
    (first day, today, the first day's start as an instant)."""
    today = now.astimezone(team.tz).date()
    first_day = today - timedelta(days=WINDOW_DAYS - 1)
    return first_day, today, day_start(team, first_day)


def day_start(team: CareTeam, day: date) -> datetime:
    """The instant `day` starts in the team's zone (its midnight)."""
    return datetime.combine(day, time(), tzinfo=team.tz)


def no_urgency(value=0) -> dict:
    return dict.fromkeys(ALERTING, value)


@dataclass(frozen=True)
class Tally:
    """What a team's records of a span add up to, in a form that adds up again: the
    sum of two spans' tallies is the tally of both. One day's is a `TeamDay` row."""

    check_ins: int = 0
    patient_ids: frozenset[int] = frozenset()  # who checked in
    alerting_check_ins: int = 0
    flags: dict[str, int] = field(default_factory=no_urgency)
    alerts: dict[str, int] = field(default_factory=no_urgency)
    escalated_alerts: int = 0
    escalation_steps: int = 0
    # urgency -> how long each acknowledged alert waited (unsorted)
    waits: dict[str, list[timedelta]] = field(default_factory=lambda: {u: [] for u in ALERTING})
    waiting: dict[str, int] = field(default_factory=no_urgency)  # not acknowledged yet
    phone_calls: int = 0  # check-ins recorded by a clinician on a phone call
    phone_overrides: int = 0  # of those, lowered below the engine's urgency

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(
            check_ins=self.check_ins + other.check_ins,
            patient_ids=self.patient_ids | other.patient_ids,
            alerting_check_ins=self.alerting_check_ins + other.alerting_check_ins,
            flags={u: self.flags[u] + other.flags[u] for u in ALERTING},
            alerts={u: self.alerts[u] + other.alerts[u] for u in ALERTING},
            escalated_alerts=self.escalated_alerts + other.escalated_alerts,
            escalation_steps=self.escalation_steps + other.escalation_steps,
            waits={u: self.waits[u] + other.waits[u] for u in ALERTING},
            waiting={u: self.waiting[u] + other.waiting[u] for u in ALERTING},
            phone_calls=self.phone_calls + other.phone_calls,
            phone_overrides=self.phone_overrides + other.phone_overrides,
        )

    @classmethod
    def of(cls, tallies: Iterable["Tally"]) -> "Tally":
        return sum(tallies, cls())


def count_between(team: CareTeam, since: datetime, now: datetime, before=None) -> Tally:
    """The team's records made from `since` up to `now` (included) and, if given,
    before `before` (excluded): four queries over that span's rows.

    Each record counts by when it was made: a check-in by its submission, a flag
    and an alert by their creation. A check-in belongs to the team of its patient.

    1. Check-ins per patient who checked in: how many, how many raised an alert, and
       how many a clinician recorded on a phone call (and lowered the urgency of).
    2. Flags per urgency.
    3. Alerts per urgency, alerts escalated at least once (level > 0) and the sum of
       their levels (escalation steps).
    4. Each alert's urgency, creation and answer (when the last of its flags was
       acknowledged, Alert.objects.with_answered_at): the waits, and those still
       waiting.
    """

    def made(field_name: str) -> dict:
        span = {f"{field_name}__gte": since, f"{field_name}__lte": now}
        if before is not None:
            span[f"{field_name}__lt"] = before
        return span

    per_patient = (
        CheckIn.objects.filter(patient__care_team=team, **made("submitted_at"))
        .values("patient")
        .annotate(
            total=Count("pk"),
            alerting=Count("pk", filter=Q(alert__isnull=False)),
            calls=Count("phone_call"),
            lowered=Count("phone_call", filter=Q(phone_call__lowered=True)),
        )
        .order_by()
    )
    per_patient = list(per_patient)

    flags = Flag.objects.filter(check_in__patient__care_team=team, **made("created_at")).aggregate(
        **{u: Count("pk", filter=Q(urgency=u)) for u in ALERTING}
    )

    alerts_made = Alert.objects.filter(check_in__patient__care_team=team, **made("created_at"))
    alerts = alerts_made.aggregate(
        **{u: Count("pk", filter=Q(urgency=u)) for u in ALERTING},
        escalated=Count("pk", filter=Q(level__gt=0)),
        steps=Sum("level"),
    )

    waits: dict[str, list[timedelta]] = {u: [] for u in ALERTING}
    waiting = no_urgency()
    answers = alerts_made.with_answered_at().values_list("urgency", "created_at", "answered_at")
    for urgency, created_at, answered_at in answers.order_by():
        if answered_at is None:
            waiting[urgency] += 1
        else:
            waits[urgency].append(answered_at - created_at)

    return Tally(
        check_ins=sum(p["total"] for p in per_patient),
        patient_ids=frozenset(p["patient"] for p in per_patient),
        alerting_check_ins=sum(p["alerting"] for p in per_patient),
        flags={u: flags[u] for u in ALERTING},
        alerts={u: alerts[u] for u in ALERTING},
        escalated_alerts=alerts["escalated"],
        escalation_steps=alerts["steps"] or 0,
        waits=waits,
        waiting=waiting,
        phone_calls=sum(p["calls"] for p in per_patient),
        phone_overrides=sum(p["lowered"] for p in per_patient),
    )


def figures_of(team: CareTeam, tally: Tally, now: datetime, until: datetime) -> TeamFigures:
    """The page's figures from the window's tally: `now` places the window, `until` is
    how recent the tally is (now, or when today's row was counted)."""
    first_day, last_day, since = window(team, now)
    times = []
    for u in ALERTING:
        spans = sorted(tally.waits[u])
        times.append(
            AcknowledgeTimes(
                urgency=u,
                acknowledged=len(spans),
                unacknowledged=tally.waiting[u],
                median=percentile(spans, 0.5),
                p90=percentile(spans, 0.9),
            )
        )
    return TeamFigures(
        team=team,
        first_day=first_day,
        last_day=last_day,
        since=since,
        until=until,
        check_ins=tally.check_ins,
        patients=len(tally.patient_ids),
        alerting_check_ins=tally.alerting_check_ins,
        flags=dict(tally.flags),
        alerts=dict(tally.alerts),
        acknowledge_times=times,
        escalated_alerts=tally.escalated_alerts,
        escalation_steps=tally.escalation_steps,
        phone_calls=tally.phone_calls,
        phone_overrides=tally.phone_overrides,
    )


def team_figures_from_records(*, team: CareTeam, now: datetime | None = None) -> TeamFigures:
    """The team's figures over its last 30 calendar days (team's zone), today so far,
    counted from the records themselves in four queries over the whole window.

    What the page computed on every render before the per-day aggregate; kept as the
    reference the aggregate must equal (tests/alerts/test_figures_aggregate.py).
    """
    now = now or timezone.now()
    _first_day, _last_day, since = window(team, now)
    return figures_of(team, count_between(team, since, now), now, now)
