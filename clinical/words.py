"""What the service says in plain words: an answer, a patient's usual, a finding,
a contact's hours. The engine writes each finding's explanation for clinicians
("stools 7/day vs baseline 1/day: +6"); these are the words for patients and
carers, built from the item and the values, never from the rule.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from .catalogue import BY_KEY, COUNT, SCORE, TEMPERATURE, WELLBEING, YESNO, Item
from .engine import FEVER, LOW, RAISED, Finding
from .routing import DAY_NAMES, HoursError, parse_days

# Temperatures


def fahrenheit(celsius: Decimal) -> Decimal:
    return (celsius * 9 / 5 + 32).quantize(Decimal("0.1"), ROUND_HALF_UP)


def celsius(degrees_f: Decimal) -> Decimal:
    return ((degrees_f - 32) * 5 / 9).quantize(Decimal("0.1"), ROUND_HALF_UP)


def temperature_words(item: Item, value, *, fahrenheit_first: bool = False) -> str:
    """'38.2 °C', or '100.8 °F (38.2 °C)' for readers who think in °F."""
    if fahrenheit_first:
        return f"{fahrenheit(Decimal(str(value)))} °F ({item.display(value)})"
    return item.display(value)


# Answers


def usual_text(item: Item, value) -> str:
    """The patient's usual in their words: 'mild', '1 a day', '8 out of 10'."""
    if item.kind == SCORE:
        return item.choices[int(value)].lower()
    if item.kind == COUNT:
        return f"{value} a day"
    if item.kind == WELLBEING:
        return f"{value} out of 10"
    return item.display(value)


def answer_words(item: Item, value, *, fahrenheit_first: bool = False) -> str:
    """An answer in the patient's words, never an internal number: 'mild', '1 a day',
    '8 out of 10', 'yes', '38.2 °C'."""
    if value is None:
        return "not answered"
    if item.kind == TEMPERATURE:
        return temperature_words(item, value, fahrenheit_first=fahrenheit_first)
    return usual_text(item, value)


# Findings

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


def plain_name(item: Item) -> str:
    return str(PLAIN_NAMES.get(item.key, item.question))


def temperature_meaning(t: Decimal) -> str:
    """What a temperature means, by the thresholds of rules R11 and R12."""
    if t >= FEVER:
        return "a fever"
    if t >= RAISED:
        return "slightly raised"
    if t < LOW:
        return "lower than normal"
    return ""


def finding_for_patient(
    finding: Finding, *, usual=None, whose: str = "your", fahrenheit_first: bool = False
) -> str:
    """A finding as the patient (or their carer) reads it: 'Stools: 9 in the last
    24 hours; your usual is 1 a day'. `usual` is the baseline value it was judged
    against (None: none recorded); `whose` names the usual ("your", "Alice's")."""
    item = BY_KEY.get(finding.symptom)
    if item is None:
        return finding.symptom
    value = finding.value
    if item.kind == YESNO:
        return f"{plain_name(item)}: yes"
    if item.kind == TEMPERATURE:
        what = temperature_meaning(Decimal(str(value)))
        shown = temperature_words(item, value, fahrenheit_first=fahrenheit_first)
        return f"{plain_name(item)}: {shown}{f', {what}' if what else ''}"
    if item.kind == COUNT:
        said = f"{value} in the last 24 hours"
    elif item.kind == SCORE:
        said = usual_text(item, value)
    elif item.kind == WELLBEING:
        said = f"{value} out of 10"
    else:
        said = str(value)
    if usual is not None:
        said += f"; {whose} usual is {usual_text(item, usual)}"
    elif item.kind != WELLBEING:
        said += "; no usual recorded"
    if "R14" in finding.raised_by:
        said += "; also raised on each of the 2 days before"
    return f"{plain_name(item)}: {said}"


# Contact hours and time zones, as people say them

DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def days_words(text: str) -> str:
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


def hours_words(days: str, start: str, end: str) -> str:
    """A weekly window as 'Monday to Friday, 09:00 to 17:00' (with an en dash for 'to')."""
    return f"{days_words(days)}, {_time_words(start)}\u2013{_time_words(end)}"


ZONE_WORDS = {
    "Europe/London": "UK time",
    "Europe/Belfast": "UK time",
    "Europe/Dublin": "Irish time",
    "America/New_York": "US Eastern time",
    "America/Chicago": "US Central time",
    "America/Denver": "US Mountain time",
    "America/Los_Angeles": "US Pacific time",
}


def zone_words(zone: str) -> str:
    """'UK time' for Europe/London, else the zone's city: 'Sydney time'."""
    if zone in ZONE_WORDS:
        return ZONE_WORDS[zone]
    return f"{zone.rsplit('/', 1)[-1].replace('_', ' ')} time"
