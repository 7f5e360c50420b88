"""Issue 13, item 7: every message a patient's form gives is in plain words (none of
Django's "Ensure this value ..."), and the check-in's error summary lists the problems
in the order the questions are asked, each linked to its question."""

import re
import uuid

import pytest

from clinical.catalogue import ITEMS, SCORE, YESNO
from patients.forms.carers import CarerInviteForm
from patients.forms.check_in import BaselineForm, CheckInForm
from patients.forms.notebook import AnswerForm, QuestionForm
from patients.forms.reminders import ReminderForm

from .test_check_in import form, send

# Django's own messages, written for developers, not for someone unwell: how some
# begin, and others whole (they say nothing of what to type instead).
DJANGO_BEGINNINGS = ("Ensure this value", "Select a valid choice", "This field is required")
DJANGO_MESSAGES = {"Enter a valid time.", "Enter a whole number.", "Enter a number."}

SCORE_KEY = next(item.key for item in ITEMS if item.kind == SCORE)
YESNO_KEY = next(item.key for item in ITEMS if item.kind == YESNO)
TOO_LONG = "x" * 204998

# Out of range, too long, negative, not a number: every answer a patient can get wrong.
CHECK_IN_SLIPS = {
    "stools_per_day": ["-1", "99", "abc", "2.5"],
    "wellbeing": ["-1", "11", "abc"],
    "temperature_c": ["-4", "200", "abc"],
    SCORE_KEY: ["-1", "9"],
    YESNO_KEY: ["maybe"],
    "free_text": [TOO_LONG],
    "new_medicines": [TOO_LONG],
}


def messages(bound) -> list[str]:
    assert not bound.is_valid()
    return [str(message) for errors in bound.errors.values() for message in errors]


def assert_plain(said: list[str]):
    assert said
    for message in said:
        assert not message.startswith(DJANGO_BEGINNINGS), message
        assert message not in DJANGO_MESSAGES, message


@pytest.mark.parametrize(
    "name, value", [(name, value) for name, values in CHECK_IN_SLIPS.items() for value in values]
)
def test_a_slip_in_the_check_in_is_told_in_plain_words(name, value):
    bound = CheckInForm({"form_token": str(uuid.uuid4()), name: value})

    assert_plain(messages(bound))


@pytest.mark.parametrize(
    "name, value",
    [("stools_per_day", "-1"), ("stools_per_day", "99"), ("wellbeing", "-3"), (SCORE_KEY, "7")],
)
def test_a_slip_in_the_usual_is_told_in_plain_words(name, value):
    assert_plain(messages(BaselineForm({name: value})))


@pytest.mark.parametrize(
    "bound",
    [
        lambda: QuestionForm({"text": TOO_LONG}),
        lambda: QuestionForm({"text": ""}),
        lambda: AnswerForm({"answer": TOO_LONG}),
        lambda: ReminderForm({"reminders": "on", "reminder_time": "25:99"}),
        lambda: ReminderForm({"reminders": "on", "reminder_time": ""}),
    ],
    ids=["question-too-long", "question-empty", "note-too-long", "time-wrong", "time-empty"],
)
def test_the_notebook_and_reminders_say_what_is_wrong_in_plain_words(bound):
    assert_plain(messages(bound()))


def test_inviting_a_carer_with_a_name_too_long_is_told_in_plain_words(patient):
    bound = CarerInviteForm({"name": "Sam " * 100, "email": "sam@example.org"}, patient=patient)

    assert_plain(messages(bound))


def test_the_too_long_message_says_in_plain_words_how_long_it_may_be_and_is():
    bound = CheckInForm({"form_token": str(uuid.uuid4()), "free_text": "x" * 2500})

    assert messages(bound) == ["Please make this shorter: at most 2000 characters (it has 2500)."]


# The summary at the top -----------------------------------------------------------------


def summary_links(html: str) -> list[str]:
    summary = re.search(r"<div class=\"error-summary[^>]*data-error-summary>(.*?)</ul>", html, re.S)
    assert summary, "no error summary"
    return re.findall(r'<a href="#([^"]+)" data-error-link>', summary.group(1))


def test_the_summary_lists_the_problems_in_the_order_of_the_questions(patient_client):
    # The free text (the form's last question) first in the post, a warning sign (its
    # first) last; the wellbeing and temperature in between, from two other areas.
    data = form(free_text=TOO_LONG, wellbeing=11, stools_per_day=-2, temperature_c=80)
    data[YESNO_KEY] = "maybe"

    html = send(patient_client, data).text

    links = summary_links(html)
    assert len(links) == 5
    page = html.split('class="check-in-form"', 1)[1]
    # Each link leads to a control of the page, and in the page's order.
    positions = [page.index(f'id="{target}"') for target in links]
    assert positions == sorted(positions), links
    assert links[0] == f"id_{YESNO_KEY}_0" and links[-1] == "id_free_text"
