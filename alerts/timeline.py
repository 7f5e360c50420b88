"""An episode's trail, assembled from the rows the loop already writes: found,
routed, notified (and each attempt), escalated, acknowledged, actions, resolved."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.timezone import localtime

from clinical.catalogue import BY_KEY
from patients.models import Episode

from .models import Alert, DeliveryAttempt


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # found, joined, routed, notified, attempt, escalated, acknowledged, action, resolved
    text: str
    who: str = ""


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def episode_trail(episode: Episode, *, joined_shown: int | None = None) -> list[Event]:
    """Every event of an episode, oldest first, in a constant number of queries.

    With `joined_shown`, only that many of the check-ins that joined without alerting
    are events (the newest), and one event counts the earlier ones: an episode one
    patient fed thousands of check-ins reads what the page shows. Every flag that
    alerted is an event (an episode alerts again only when its urgency rises, so a
    few at most), with its alert, notifications and attempts.
    """
    label = BY_KEY[episode.symptom].label if episode.symptom in BY_KEY else episode.symptom
    flags = list(episode.flags.filter(alerted=True).select_related("check_in"))
    joined = episode.flags.filter(alerted=False).order_by("-created_at", "-pk")
    if joined_shown is not None:
        joined = joined[:joined_shown]
    joined = list(joined)
    events = [
        Event(
            f.created_at,
            "found" if f.alerted else "joined",
            f"{f.get_urgency_display()} {label.lower()}: {f.explanation} (rule {f.rule})"
            + ("" if f.alerted else "; joined the open episode, nobody alerted again"),
        )
        for f in flags + joined
    ]
    earlier = episode.flag_count - len(flags) - len(joined)
    if joined_shown is not None and earlier > 0 and joined:
        events.append(
            Event(
                joined[-1].created_at - timedelta(microseconds=1),  # just before them
                "joined",
                f"{earlier} earlier check-in{'s' if earlier > 1 else ''} joined the open "
                "episode, nobody alerted again (listed under the episode's check-ins)",
            )
        )
    alerts = Alert.objects.filter(check_in__in={f.check_in_id for f in flags + joined})
    alerts = list(alerts.prefetch_related("notifications__contact"))
    attempts = DeliveryAttempt.objects.filter(notification__alert__in=alerts).select_related(
        "notification__contact"
    )
    for alert in alerts:
        first = [n for n in alert.notifications.all() if n.level == 0]
        routed_to = first[0].contact.name if first else "nobody (no working channel)"
        events.append(
            Event(
                alert.created_at,
                "routed",
                f"{alert.get_urgency_display()} alert routed to "
                f"{routed_to}: {alert.routing_reason}",
            )
        )
        for n in alert.notifications.all():
            kind = "escalated" if n.level else "notified"
            step = f"escalation {n.level}: " if n.level else ""
            wait = (
                f", held until {localtime(n.not_before):%a %d %b %H:%M %Z}"
                if n.not_before > n.created_at
                else ""
            )
            events.append(
                Event(
                    n.created_at,
                    kind,
                    f"{step}{n.get_channel_display()} to {n.contact.name} "
                    f"({n.address}){wait}: {n.get_status_display().lower()}",
                )
            )
    for a in attempts:
        outcome = (
            "delivered" if a.ok else (f"failed: {a.error}" if a.ok is False else "no outcome yet")
        )
        events.append(
            Event(
                a.started_at,
                "attempt",
                f"{a.notification.get_channel_display()} to "
                f"{a.notification.contact.name}: {outcome}",
            )
        )
    events += [
        Event(a.at, "acknowledged", "Acknowledged; escalation stopped", _name(a.by))
        for a in episode.acknowledgements.select_related("by")
    ]
    for action in episode.actions.select_related("taken_by"):
        text = action.get_kind_display() + (f": {action.note}" if action.note else "")
        events.append(Event(action.taken_at, "action", text, _name(action.taken_by)))
    if episode.resolved_at:
        note = episode.resolution_note
        events.append(
            Event(
                episode.resolved_at,
                "resolved",
                "Resolved" + (f": {note}" if note else ""),
                _name(episode.resolved_by),
            )
        )
    order = [
        "found",
        "joined",
        "routed",
        "notified",
        "escalated",
        "attempt",
        "acknowledged",
        "action",
        "resolved",
    ]
    return sorted(events, key=lambda e: (e.at, order.index(e.kind)))
