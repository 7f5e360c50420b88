from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from alerts.routing import DAY_NAMES, HoursError, parse_days
from patients.catalogue import (
    BY_KEY,
    COUNT,
    SCORE,
    TEMPERATURE,
    WELLBEING,
    YESNO,
)
from patients.forms import fahrenheit, usual_text

register = template.Library()


@register.filter
def display(item, value):
    """{{ item|display:value }}: a value as people read it ('3 (severe)', '7/day').

    A temperature reads in °F first, then °C, for American English.
    """
    if item.kind == TEMPERATURE and value is not None and translation.get_language() == "en-us":
        return f"{fahrenheit(Decimal(str(value)))} °F ({item.display(value)})"
    return item.display(value)


@register.filter
def words(item, value):
    """{{ item|words:value }}: a value in the patient's words, never an internal number.

    'mild', '1 a day', '8 out of 10', 'yes', '38.2 °C' (°F first in American English).
    """
    if value is None:
        return "not answered"
    if item.kind == TEMPERATURE:
        return display(item, value)
    return usual_text(item, value)


@register.filter
def item_label(key):
    item = BY_KEY.get(key)
    return item.label if item else key


@register.filter
def answer(check_in, key):
    return getattr(check_in, key, None)


# Whom a page speaks to: the patient ("you"), or a carer about the patient ("Alice").


def first_name(carer_link) -> str:
    patient = carer_link.patient
    return patient.user.first_name or patient.name


@register.filter
def you(carer_link):
    """{{ carer_link|you }}: "you" for the patient, the patient's first name for a carer."""
    return first_name(carer_link) if carer_link else "you"


@register.filter
def your(carer_link):
    """{{ carer_link|your }}: "your" for the patient, "Alice's" for a carer."""
    return f"{first_name(carer_link)}'s" if carer_link else "your"


# What the engine noticed, in plain words (the care team reads the engine's own text).

# Short names with no "you" in them, for the items whose question does not read as a
# name ("How often have you been sick?") or speaks to the patient ("in your chest").
PLAIN_NAMES = {
    "stools_per_day": _("Stools"),
    "abdominal_pain": _("Tummy pain"),
    "vomiting": _("Being sick (vomiting)"),
    "rash": _("Rash"),
    "wellbeing": _("Overall wellbeing"),
    "temperature_c": _("Temperature"),
    "chest_pain": _("Pain or tightness in the chest"),
    "stool_blood_or_mucus": _("Blood or slime (mucus) in poo"),
    "yellow_skin_or_eyes": _("Yellowing of the skin or the whites of the eyes"),
    "skin_blistering": _("Blisters or peeling skin, or sores in the mouth or eyes"),
}
FEVER, RAISED, LOW = Decimal("38.0"), Decimal("37.5"), Decimal("36.0")


def plain_name(item) -> str:
    return str(PLAIN_NAMES.get(item.key, item.question))


@register.simple_tag
def finding_words(finding, check_in, carer_link=None):
    """{% finding_words finding check_in carer_link %}: 'Stools: 9 in the last 24 hours;
    your usual is 1 a day'. Built from the item and the values, never from the rule."""
    item = BY_KEY.get(finding.symptom)
    if item is None:
        return finding.symptom
    value = finding.value
    if item.kind == YESNO:
        return f"{plain_name(item)}: yes"
    if item.kind == TEMPERATURE:
        t = Decimal(str(value))
        what = (
            "a fever"
            if t >= FEVER
            else "slightly raised"
            if t >= RAISED
            else "lower than normal"
            if t < LOW
            else ""
        )
        return f"{plain_name(item)}: {display(item, value)}{f', {what}' if what else ''}"
    if item.kind == COUNT:
        said = f"{value} in the last 24 hours"
    elif item.kind == SCORE:
        said = usual_text(item, value)
    elif item.kind == WELLBEING:
        said = f"{value} out of 10"
    else:
        said = str(value)
    usual = getattr(check_in.baseline, item.key, None) if check_in.baseline else None
    if usual is not None:
        said += f"; {your(carer_link)} usual is {usual_text(item, usual)}"
    elif item.kind != WELLBEING:
        said += "; no usual recorded"
    if "R14" in finding.raised_by:
        said += "; also raised on each of the 2 days before"
    return f"{plain_name(item)}: {said}"


# Contact hours and time zones, as people say them.

DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _days_words(text: str) -> str:
    """'mon-fri' -> 'Monday to Friday'; 'sat,sun' -> 'Saturday and Sunday'."""
    try:
        parse_days(text)
    except HoursError:
        return text
    parts = []
    for part in (p.strip().lower() for p in text.split(",")):
        first, dash, last = part.partition("-")
        name = DAY_WORDS[DAY_NAMES.index(first)]
        parts.append(f"{name} to {DAY_WORDS[DAY_NAMES.index(last)]}" if dash else name)
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _time_words(text: str) -> str:
    return "midnight" if text == "24:00" else text


@register.filter
def hours_words(hours):
    """{{ window|hours_words }}: a ContactHours as 'Monday to Friday, 09:00 to 17:00'
    (with an en dash)."""
    start, end = _time_words(hours.start), _time_words(hours.end)
    return f"{_days_words(hours.days)}, {start}\u2013{end}"


ZONE_WORDS = {
    "Europe/London": "UK time",
    "Europe/Belfast": "UK time",
    "Europe/Dublin": "Irish time",
    "America/New_York": "US Eastern time",
    "America/Chicago": "US Central time",
    "America/Denver": "US Mountain time",
    "America/Los_Angeles": "US Pacific time",
}


@register.filter
def zone_words(zone):
    """{{ team.time_zone|zone_words }}: 'UK time' for Europe/London, else 'Sydney time'."""
    zone = str(zone)
    if zone in ZONE_WORDS:
        return ZONE_WORDS[zone]
    return f"{zone.rsplit('/', 1)[-1].replace('_', ' ')} time"
