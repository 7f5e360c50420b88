"""My check-ins lists each check-in in a line of what was not the usual (issue 13,
item 12: the page was thousands of pixels of "none" on a phone), with every answer
folded under it."""

import re

from django.urls import reverse

from patients.models import CheckIn

from ..factories import make_check_in

HISTORY = reverse("patients:check_ins")
NO_SIGNS = dict.fromkeys(
    (
        "chest_pain",
        "stool_blood_or_mucus",
        "yellow_skin_or_eyes",
        "confusion",
        "skin_blistering",
        "fainting",
        "dark_urine",
        "less_urine",
        "thirst_and_urination",
    ),
    False,
)


def card_line(text: str, check_in: CheckIn) -> str:
    """The line under the check-in's link (its date), tags removed."""
    line = r'<p class="small mb-0 text-body-secondary">(.*?)</p>'
    found = re.search(rf'check-ins/{check_in.pk}/".*?{line}', text, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def usual_answers(patient) -> dict:
    baseline = patient.active_baseline
    return {
        item.key: getattr(baseline, item.key)
        for item in CheckIn.ITEMS
        if item.has_baseline and getattr(baseline, item.key) is not None
    }


def test_an_ordinary_day_is_one_short_line(patient_client, patient):
    ordinary = make_check_in(patient, **usual_answers(patient), **NO_SIGNS)

    text = patient_client.get(HISTORY).text

    assert card_line(text, ordinary) == "All as usual, no warning signs."
    assert "<summary>All " in text  # every answer is still there, folded


def test_what_changed_is_named_and_the_rest_is_as_usual(patient_client, patient):
    changed = make_check_in(
        patient, **{**usual_answers(patient), "stools_per_day": 5}, **{**NO_SIGNS, "fainting": True}
    )

    line = card_line(patient_client.get(HISTORY).text, changed)

    assert line.startswith("Stools: 5 a day · Fainting: yes")
    assert line.endswith("Everything else as usual.")  # a sign was yes: not "no warning signs"
    assert "Nausea" not in line


def test_without_a_usual_any_score_but_none_is_named(patient_client, patient):
    first = make_check_in(patient, baseline=None, nausea=2, itching=0)

    line = card_line(patient_client.get(HISTORY).text, first)

    assert line.startswith("Nausea: moderate")
    assert "Itching" not in line


def test_a_check_in_with_no_answers_says_so(patient_client, patient):
    empty = make_check_in(patient)

    assert card_line(patient_client.get(HISTORY).text, empty) == "No answers"
