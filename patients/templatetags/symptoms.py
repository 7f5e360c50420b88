"""Template filters over the clinical core's words (clinical/words.py): the page
decides whom it speaks to and in which language; the core says the rest."""

from django import template
from django.utils import translation

from clinical import words as plain
from clinical.catalogue import BY_KEY, TEMPERATURE

register = template.Library()


def _fahrenheit_first() -> bool:
    """American English reads temperatures in °F first."""
    return translation.get_language() == "en-us"


@register.filter
def display(item, value):
    """{{ item|display:value }}: a value as people read it ('3 (severe)', '7/day').

    A temperature reads in °F first, then °C, for American English.
    """
    if item.kind == TEMPERATURE and value is not None:
        return plain.temperature_words(item, value, fahrenheit_first=_fahrenheit_first())
    return item.display(value)


@register.filter
def words(item, value):
    """{{ item|words:value }}: a value in the patient's words, never an internal number.

    'mild', '1 a day', '8 out of 10', 'yes', '38.2 °C' (°F first in American English).
    """
    return plain.answer_words(item, value, fahrenheit_first=_fahrenheit_first())


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


def acting_for(carer_link) -> str | None:
    """The patient's first name while a carer acts for them (pages then name the
    patient), else None."""
    return first_name(carer_link) if carer_link else None


@register.filter
def you(carer_link):
    """{{ carer_link|you }}: "you" for the patient, the patient's first name for a carer."""
    return first_name(carer_link) if carer_link else "you"


@register.filter
def your(carer_link):
    """{{ carer_link|your }}: "your" for the patient, "Alice's" for a carer."""
    return f"{first_name(carer_link)}'s" if carer_link else "your"


@register.simple_tag
def finding_words(finding, check_in, carer_link=None):
    """{% finding_words finding check_in carer_link %}: 'Stools: 9 in the last 24 hours;
    your usual is 1 a day' (clinical.words.finding_for_patient)."""
    usual = getattr(check_in.baseline, finding.symptom, None) if check_in.baseline else None
    return plain.finding_for_patient(
        finding, usual=usual, whose=your(carer_link), fahrenheit_first=_fahrenheit_first()
    )


@register.filter
def hours_words(hours):
    """{{ window|hours_words }}: a ContactHours as 'Monday to Friday, 09:00 to 17:00'
    (with an en dash)."""
    return plain.hours_words(hours.days, hours.start, hours.end)


@register.filter
def zone_words(zone):
    """{{ team.time_zone|zone_words }}: 'UK time' for Europe/London, else 'Sydney time'."""
    return plain.zone_words(str(zone))
