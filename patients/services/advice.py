"""Whom the patient is told to phone, and whom the team's alerts reach: routing over
the care team's contact list (clinical/routing.py) at an instant."""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


# Whom to call first: one sentence per situation, from the same routing


@dataclass(frozen=True)
class CallFirst:
    """One situation ("now", "tonight", ...) and the one number to ring in it."""

    situation: str  # "now", "weekday", "tonight", "weekend" or "emergency"
    lead: str  # the words the sentence starts with: "Now", "At the weekend"
    at: object | None  # the instant routed; None for the emergency number
    name: str
    phone: str

    @property
    def sentence(self) -> str:
        if self.name == self.phone:  # the emergency number has no other name
            return f"{self.lead}, call {self.phone}."
        return f"{self.lead}, call {self.name} on {self.phone}."


SITUATIONS = {
    "now": _("Now"),
    "weekday": _("On weekdays in the day"),
    "tonight": _("Tonight"),
    "weekend": _("At the weekend"),  # "On the weekend" in American English
    "emergency": _("In an emergency (chest pain, severe breathlessness, collapse)"),
}


def call_first(patient: Patient, at) -> Contact | None:
    """Whom the patient rings at `at` for a problem needing the team.

    The amber route (contact the team today) when that contact is on duty at `at`;
    when amber would wait for someone's hours, the red route, the one on duty for a
    problem that cannot wait. Both are `route_for`, so the patient is told what the
    team's alerts would do.
    """
    chosen = route_for(patient, AMBER, at)
    if chosen is None or chosen.deliver_at > at:
        chosen = route_for(patient, RED, at) or chosen
    if chosen is None:
        return None
    return patient.care_team.contacts.filter(pk=chosen.contact.ref).first()


def situation_instants(patient: Patient, now, *, printed: bool = False) -> dict:
    """The moments the sentences are about, on the team's wall clock: now (on a
    printed card, a weekday at 11:00 instead, since the card outlives "now"), 22:00
    today, and Saturday 11:00 of this weekend (the coming one on a weekday)."""
    tz = patient.care_team.tz
    today = now.astimezone(tz).date()
    day = today.weekday()  # 0 = Monday
    saturday = today + timedelta(days=5 - day if day < 6 else -1)
    if printed:
        weekday = today if day < 5 else today + timedelta(days=7 - day)
        first = ("weekday", datetime.combine(weekday, time(11), tzinfo=tz))
    else:
        first = ("now", now)
    return dict(
        [
            first,
            ("tonight", datetime.combine(today, time(22), tzinfo=tz)),
            ("weekend", datetime.combine(saturday, time(11), tzinfo=tz)),
        ]
    )


def whom_to_call(patient: Patient, *, now=None, printed: bool = False) -> list[CallFirst]:
    """The sentences that lead the contacts page, the card and every reminder: for
    now (or weekdays, on the card), tonight and the weekend the one number that
    routing gives, then the emergency number. A situation nobody answers is left out."""
    now = now or timezone.now()
    calls = []
    for situation, at in situation_instants(patient, now, printed=printed).items():
        contact = call_first(patient, at)
        if contact is not None:
            calls.append(
                CallFirst(situation, SITUATIONS[situation], at, contact.name, contact.phone)
            )
    number = settings.EMERGENCY_NUMBER
    calls.append(CallFirst("emergency", SITUATIONS["emergency"], None, number, number))
    return calls


# Words that only say when a contact is available: a "when to call" made of them
# repeats the structured hours shown beside it.
_HOURS_WORDS = frozenset(
    re.findall(
        r"\w+",
        """a am an and any anytime at available by clinic day days daytime during every
        evening evenings from hour hours in including morning mornings night nights office
        on open or pm the through throughout time times to until week weekday weekdays
        weekend weekends working mon tue wed thu fri sat sun monday tuesday wednesday
        thursday friday saturday sunday midnight noon""",
    )
)


def note_beyond_hours(when_to_call: str) -> str:
    """A contact's free-text "when to call", or "" when it only repeats its hours
    ("Weekdays 9am to 5pm.", "Any time, day or night"): the hours are shown from the
    structured hours, which routing uses, so they are never said twice."""
    words = re.findall(r"[^\W\d_]+", when_to_call.lower())
    if all(w in _HOURS_WORDS for w in words):
        return ""
    return when_to_call.strip()
