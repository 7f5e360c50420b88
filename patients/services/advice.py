"""Whom the patient is told to phone, and whom the team's alerts reach: routing over
the care team's contact list (clinical/routing.py) at an instant."""

from dataclasses import dataclass

from django.utils import timezone

from clinical.routing import Route, route
from clinical.urgency import AMBER, EMERGENCY, GREEN, PHONE_NOW, RED, routed_as

from ..models import Contact, Patient


def route_for(patient, urgency: str, at) -> Route | None:
    """Whom the patient's team alerts (and the patient rings) for `urgency` at `at`.

    A list where nobody can take amber (no contact handles it, or none ever comes
    on duty) routes amber as red rather than to nobody: an alert is never dropped.
    """
    team = patient.care_team
    specs = team.contact_specs()
    chosen = route(specs, urgency, at, team.tz)
    if chosen is None and routed_as(urgency) == AMBER:
        fallback = route(specs, RED, at, team.tz)
        if fallback is not None:
            reason = f"amber: nobody can take amber, so the red route ({fallback.reason})"
            return Route(fallback.contact, fallback.deliver_at, reason)
    return chosen


@dataclass(frozen=True)
class Advice:
    """What the patient is told after a check-in, and whom to ring."""

    urgency: str
    contact: Contact | None  # whom to phone for this urgency now (or when next on duty)
    available_from: object | None  # set when that contact is not on duty now
    urgent_line: Contact | None  # the first 24/7 contact for red: "if you get worse", any time

    @property
    def phone_now(self) -> bool:
        return self.urgency in PHONE_NOW

    @property
    def emergency(self) -> bool:
        return self.urgency == EMERGENCY


def advice_for(patient: Patient, urgency: str, *, now=None) -> Advice:
    now = now or timezone.now()
    contacts = {c.pk: c for c in patient.care_team.contacts.filter(active=True)}
    urgent_line = next(
        (
            c
            for c in sorted(contacts.values(), key=lambda c: c.order)
            if c.always_on_duty and c.handles_red
        ),
        None,
    )
    if urgency == GREEN:
        return Advice(urgency, None, None, urgent_line)
    chosen = route_for(patient, urgency, now)
    if chosen is None:
        return Advice(urgency, urgent_line, None, urgent_line)
    later = chosen.deliver_at if chosen.deliver_at > now else None
    return Advice(urgency, contacts.get(chosen.contact.ref), later, urgent_line)
