"""A care team's figures for the last 30 days: how much came in, what alerted, how fast
the team answered, and what escalated.

Read-only, and a fixed number of queries whatever the team's size: three aggregate
queries for the counts and one for the acknowledged alerts' two instants, whose
median and 90th percentile are computed here (one team's month of alerts is a list
that fits in memory, and the arithmetic is the same on SQLite and PostgreSQL).
"""

import math
from dataclasses import dataclass
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
    until: datetime  # now
    check_ins: int
    patients: int  # distinct patients who checked in
    alerting_check_ins: int  # check-ins that raised an alert (not those joining an episode)
    flags: dict[str, int]  # urgency -> count, most urgent first
    alerts: dict[str, int]
    acknowledge_times: list[AcknowledgeTimes]  # most urgent first
    escalated_alerts: int  # alerts escalated at least once
    escalation_steps: int  # every escalation of every alert

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
        return not (self.check_ins or self.total_flags or self.total_alerts)


def window(team: CareTeam, now: datetime) -> tuple[date, date, datetime]:
    """The last WINDOW_DAYS calendar days in the team's zone, today included:
    (first day, today, the first day's start as an instant)."""
    today = now.astimezone(team.tz).date()
    first_day = today - timedelta(days=WINDOW_DAYS - 1)
    return first_day, today, datetime.combine(first_day, time(), tzinfo=team.tz)


def team_figures(*, team: CareTeam, now: datetime | None = None) -> TeamFigures:
    """The team's figures over its last 30 calendar days (team's zone), today so far.

    Each record counts by when it was made: a check-in by its submission, a flag
    and an alert by their creation. A check-in belongs to the team of its patient.

    1. One query: check-ins, distinct patients, check-ins at amber or above.
    2. One query: flags per urgency.
    3. One query: alerts per urgency, alerts escalated at least once (level > 0)
       and the sum of their levels (escalation steps).
    4. One query: each alert's urgency, creation and answer (when the last of its
       flags was acknowledged, Alert.objects.with_answered_at); per urgency, the
       alerts still waiting, and the median and 90th percentile of the waits.
    """
    now = now or timezone.now()
    first_day, last_day, since = window(team, now)

    check_ins = CheckIn.objects.filter(
        patient__care_team=team, submitted_at__gte=since, submitted_at__lte=now
    ).aggregate(
        total=Count("pk"),
        patients=Count("patient", distinct=True),
        alerting=Count("pk", filter=Q(alert__isnull=False)),
    )

    flags = Flag.objects.filter(
        check_in__patient__care_team=team, created_at__gte=since, created_at__lte=now
    ).aggregate(**{u: Count("pk", filter=Q(urgency=u)) for u in ALERTING})

    alerts_made = Alert.objects.filter(
        check_in__patient__care_team=team, created_at__gte=since, created_at__lte=now
    )
    alerts = alerts_made.aggregate(
        **{u: Count("pk", filter=Q(urgency=u)) for u in ALERTING},
        escalated=Count("pk", filter=Q(level__gt=0)),
        steps=Sum("level"),
    )

    waits: dict[str, list[timedelta]] = {u: [] for u in ALERTING}
    waiting: dict[str, int] = dict.fromkeys(ALERTING, 0)
    answers = alerts_made.with_answered_at().values_list("urgency", "created_at", "answered_at")
    for urgency, created_at, answered_at in answers.order_by():
        if answered_at is None:
            waiting[urgency] = waiting.get(urgency, 0) + 1
        else:
            waits.setdefault(urgency, []).append(answered_at - created_at)
    times = []
    for u in ALERTING:
        spans = sorted(waits[u])
        times.append(
            AcknowledgeTimes(
                urgency=u,
                acknowledged=len(spans),
                unacknowledged=waiting[u],
                median=percentile(spans, 0.5),
                p90=percentile(spans, 0.9),
            )
        )

    return TeamFigures(
        team=team,
        first_day=first_day,
        last_day=last_day,
        since=since,
        until=now,
        check_ins=check_ins["total"],
        patients=check_ins["patients"],
        alerting_check_ins=check_ins["alerting"],
        flags={u: flags[u] for u in ALERTING},
        alerts={u: alerts[u] for u in ALERTING},
        acknowledge_times=times,
        escalated_alerts=alerts["escalated"],
        escalation_steps=alerts["steps"] or 0,
    )
