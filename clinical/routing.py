"""Routing: which contact is alerted for an urgency at an instant.

Pure functions over plain data (REFERENCE.md, "Routing"). A contact's hours
are "24/7" or weekly windows in the care team's time zone; a window includes
its start and excludes its end, and its end may be 24:00.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .urgency import AMBER, GREEN, RED, routed_as

ALWAYS = "24/7"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$", re.ASCII)  # no other scripts' digits
ESCALATE_AFTER = {RED: timedelta(minutes=15), AMBER: timedelta(hours=4)}


class HoursError(ValueError):
    """Hours that cannot be understood; the message is shown to the admin."""


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # exclusive; up to 1440

    def covers(self, weekday: int, minute: int) -> bool:
        return weekday in self.days and self.start <= minute < self.end


@dataclass(frozen=True)
class ContactSpec:
    """What routing needs to know of a contact. `ref` is the caller's key (a pk)."""

    name: str
    handles: frozenset[str]
    order: int
    hours: str | tuple[Window, ...]
    ref: object = None

    @property
    def always(self) -> bool:
        return self.hours == ALWAYS

    def handles_urgency(self, urgency: str) -> bool:
        return routed_as(urgency) in self.handles


@dataclass(frozen=True)
class Route:
    contact: ContactSpec
    deliver_at: datetime  # now, or the contact's next on-duty time (amber only)
    reason: str


def parse_days(text: str) -> frozenset[int]:
    """'mon-fri', 'sat,sun', 'mon', 'fri-mon' (wraps) -> weekday numbers."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",")):
        first, dash, last = part.partition("-")
        if first not in DAY_NAMES or (dash and last not in DAY_NAMES):
            raise HoursError(f"{text!r}: days are mon, tue, wed, thu, fri, sat, sun")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def parse_time(text: str) -> int:
    match = _TIME.match(text.strip())
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise HoursError(f"{text!r} is not a time from 00:00 to 24:00 (HH:MM)")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_window(days: str, start: str, end: str) -> Window:
    window = Window(parse_days(days), parse_time(start), parse_time(end))
    if window.start >= window.end:
        raise HoursError(
            f"{start}-{end}: a window ends after it starts; split one that crosses "
            "midnight into two (for example 17:00-24:00 and 00:00-09:00)"
        )
    return window


def parse_hours(hours) -> str | tuple[Window, ...]:
    """'24/7' or a list of {"days", "start", "end"} dicts (the vignette format)."""
    if hours == ALWAYS:
        return ALWAYS
    if isinstance(hours, str) or not hours:
        raise HoursError("hours are '24/7' or at least one weekly window")
    try:
        return tuple(parse_window(w["days"], w["start"], w["end"]) for w in hours)
    except (KeyError, TypeError) as exc:
        raise HoursError("each window has 'days', 'start' and 'end'") from exc


def on_duty(contact: ContactSpec, at: datetime, tz: ZoneInfo) -> bool:
    if contact.always:
        return True
    local = at.astimezone(tz)
    minute = local.hour * 60 + local.minute
    return any(w.covers(local.weekday(), minute) for w in contact.hours)


def _local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    moment = datetime.combine(day, time()) + timedelta(minutes=minute)
    # Wall-clock time in the team's zone; a time skipped by a clock change is
    # read as after the change (zoneinfo's fold=0 arithmetic).
    return moment.replace(tzinfo=tz).astimezone(UTC)


def next_on_duty(contact: ContactSpec, at: datetime, tz: ZoneInfo) -> datetime | None:
    """The first instant at or after `at` when the contact is on duty (in UTC).

    Looks 15 days ahead: far enough to pass a window lost to a clock change
    (a start skipped by the change is read after it and may fall outside its window).
    """
    if on_duty(contact, at, tz):
        return at.astimezone(UTC)
    today = at.astimezone(tz).date()
    starts = sorted(
        _local_instant(today + timedelta(days=offset), w.start, tz)
        for offset in range(15)
        for w in contact.hours
        if (today + timedelta(days=offset)).weekday() in w.days
    )
    return next((s for s in starts if s > at and on_duty(contact, s, tz)), None)


def route(
    contacts: Iterable[ContactSpec], urgency: str, at: datetime, tz: ZoneInfo
) -> Route | None:
    """The contact alerted for `urgency` at `at`, or None for green.

    1. The contact with the lowest order that handles the urgency and is on duty.
    2. None on duty: amber waits for the first on-duty time of a contact that
       handles amber (the lower order on a tie); red and emergency go to a
       24/7 contact that handles red.
    """
    if urgency == GREEN:
        return None
    as_ = routed_as(urgency)
    handling = sorted((c for c in contacts if as_ in c.handles), key=lambda c: c.order)
    for contact in handling:
        if on_duty(contact, at, tz):
            return Route(
                contact, at.astimezone(UTC), f"{as_}: first contact on duty that handles {as_}"
            )
    if as_ == AMBER:
        waits = [(t, c.order, c) for c in handling if (t := next_on_duty(c, at, tz))]
        if waits:
            t, _, contact = min(waits, key=lambda w: (w[0], w[1]))
            local = t.astimezone(tz).strftime("%a %d %b %H:%M %Z")
            return Route(contact, t, f"amber: nobody on duty handles amber; waits until {local}")
        return None
    for contact in handling:
        if contact.always:
            return Route(contact, at.astimezone(UTC), "red: the 24/7 contact for red")
    return None


def next_in_chain(
    contacts: Iterable[ContactSpec], urgency: str, after_order: int, at: datetime, tz: ZoneInfo
) -> ContactSpec | None:
    """Escalation: the next contact by order after `after_order` that handles the
    urgency and is on duty at `at`."""
    as_ = routed_as(urgency)
    for contact in sorted(contacts, key=lambda c: c.order):
        if contact.order > after_order and as_ in contact.handles and on_duty(contact, at, tz):
            return contact
    return None


def contact_list_errors(contacts: Sequence[ContactSpec]) -> list[str]:
    """Why a contact list cannot be used; empty when it can."""
    errors = []
    if not any(c.always and RED in c.handles for c in contacts):
        errors.append(
            "The contact list needs a contact on duty 24/7 that handles red alerts, "
            "so that an urgent alert always reaches someone."
        )
    if not any(AMBER in c.handles for c in contacts):
        errors.append("The contact list needs a contact that handles amber alerts.")
    orders = [c.order for c in contacts]
    if len(orders) != len(set(orders)):
        errors.append("Two contacts have the same order; give each a different place in the chain.")
    return errors


# Who would be alerted: the contact list's preview, for the people who edit it


@dataclass(frozen=True)
class PreviewRow:
    label: str
    at: datetime
    red: Route | None
    amber: Route | None

    @property
    def routes(self) -> tuple[Route | None, Route | None]:
        return self.red, self.amber


def preview_instants(now: datetime, tz: ZoneInfo) -> list[tuple[str, datetime]]:
    """Now, the next 02:00, the next Saturday 14:00 and the next Monday 09:00, all on
    the team's wall clock (a time skipped by a clock change is read after the change)."""
    local = now.astimezone(tz)
    return [
        ("Now", now.astimezone(UTC)),
        ("Tonight, 02:00", _next_local(local, time(2))),
        ("Saturday, 14:00", _next_local(local, time(14), weekday=5)),
        ("Monday, 09:00", _next_local(local, time(9), weekday=0)),
    ]


def _next_local(local: datetime, at: time, weekday: int | None = None) -> datetime:
    for offset in range(8):
        day: date = local.date() + timedelta(days=offset)
        candidate = datetime.combine(day, at, tzinfo=local.tzinfo)
        if (weekday is None or day.weekday() == weekday) and candidate > local:
            return candidate.astimezone(UTC)
    raise AssertionError("every weekday comes within eight days")


def routing_preview(specs: list[ContactSpec], tz: ZoneInfo, now: datetime) -> list[PreviewRow]:
    """Who `route` would alert for red and for amber at each instant of the preview,
    soonest first."""
    return [
        PreviewRow(label, at, route(specs, RED, at, tz), route(specs, AMBER, at, tz))
        for label, at in sorted(preview_instants(now, tz), key=lambda instant: instant[1])
    ]
