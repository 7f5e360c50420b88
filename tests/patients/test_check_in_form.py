"""The check-in form's presentation: large labelled choices, the usual beside each
question, "as usual" without JavaScript, and a temperature in °C or °F."""

import re
import uuid
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from clinical.catalogue import ITEMS, SCORE, YESNO
from patients.forms.check_in import CheckInForm, temperature_message
from patients.models import CheckIn

from .test_check_in import assert_error_beside, form, send

CHECK_IN = reverse("patients:check_in")
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr"}


class Controls(HTMLParser):
    """Each form control with the fieldsets around it, each fieldset's legend, each label."""

    def __init__(self):
        super().__init__()
        self.stack: list[dict] = []
        self.controls: list[tuple[str, dict, list[dict], bool]] = []
        self.fieldsets: list[dict] = []
        self.label_for: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            node = {"tag": tag, "attrs": attrs, "first_child": None, "legend": ""}
            self.fieldsets.append(node)
        else:
            node = {"tag": tag, "attrs": attrs}
        parent = self.stack[-1] if self.stack else None
        if parent and parent["tag"] == "fieldset" and parent["first_child"] is None:
            parent["first_child"] = tag
        if tag == "label" and "for" in attrs:
            self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            fieldsets = [n for n in self.stack if n["tag"] == "fieldset"]
            in_label = any(n["tag"] == "label" for n in self.stack)
            self.controls.append((tag, attrs, fieldsets, in_label))
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for node in reversed(self.stack):
            if node["tag"] == "legend":
                fieldset = next(n for n in reversed(self.stack) if n["tag"] == "fieldset")
                fieldset["legend"] += data
                return


def parse(html: str) -> Controls:
    parser = Controls()
    parser.feed(html)
    return parser


def checked(html: str, name: str) -> str | None:
    match = re.search(rf'<input type="radio"[^>]*name="{name}" [^>]*value="([^"]*)" checked', html)
    return match.group(1) if match else None


def box_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input type="number" name="{name}"(?: value="([^"]*)")?', html)
    return match.group(1) if match else None


# The page's markup ---------------------------------------------------------------------


def test_every_radio_group_is_a_fieldset_whose_first_child_is_its_legend(patient_client):
    html = patient_client.get(CHECK_IN).text

    radios = [c for c in parse(html).controls if c[1].get("type") == "radio"]
    choice_items = {i.key for i in ITEMS if i.kind in (SCORE, YESNO)}
    assert {a["name"] for _, a, _, _ in radios} == choice_items | {"temperature_unit"}
    for _tag, attrs, fieldsets, _ in radios:
        assert fieldsets, f"{attrs['name']} is not in a fieldset"
        assert fieldsets[-1]["first_child"] == "legend", attrs["name"]
        assert fieldsets[-1]["legend"].strip(), attrs["name"]


def test_every_control_has_a_label(patient_client):
    html = patient_client.get(CHECK_IN).text

    parsed = parse(html)
    shown = [
        (tag, attrs)
        for tag, attrs, _, in_label in parsed.controls
        if attrs.get("type") not in ("hidden", "submit") and not in_label
    ]
    assert len(shown) > 100
    unlabelled = [a.get("name") for _, a in shown if a.get("id") not in parsed.label_for]
    assert unlabelled == []


def test_each_score_is_a_row_of_large_labelled_choices(patient_client):
    html = patient_client.get(CHECK_IN).text

    for value, words in enumerate(["None", "Mild", "Moderate", "Severe", "Very severe"]):
        assert re.search(
            rf'<input type="radio" class="btn-check" name="nausea" id="id_nausea_{value}" '
            rf'value="{value}">\s*<label class="btn choice btn-outline-primary" '
            rf'for="id_nausea_{value}"><span class="choice-text" data-text="{words}">{words}</span>'
            rf"</label>",
            html,
        ), words
    assert '<legend class="choice-legend">Feeling sick (nausea)</legend>' in html


def test_the_usual_is_shown_beside_each_question_that_has_one(patient_client):
    # The patient fixture's usual: stools 1 a day, fatigue mild, wellbeing 8, joints none.
    html = patient_client.get(CHECK_IN).text

    assert '<p id="id_fatigue_helptext" class="usual">Your usual: mild</p>' in html
    assert '<p id="id_joint_pain_helptext" class="usual">Your usual: none</p>' in html
    assert '<span id="id_stools_per_day_helptext" class="usual">Your usual: 1 a day</span>' in html
    assert '<span id="id_wellbeing_helptext" class="usual">Your usual: 8 out of 10</span>' in html
    assert 'aria-describedby="id_fatigue_helptext"' in html
    assert (
        'for="id_fatigue_1"><span class="choice-text" data-text="Mild">Mild'
        '<span class="usual-tag" aria-hidden="true">usual</span></span>'
    ) in html
    assert "id_nausea_helptext" not in html  # no usual recorded for nausea


def test_the_warning_signs_come_first_with_a_heading_saying_to_call(patient_client):
    html = patient_client.get(CHECK_IN).text

    first_area = re.search(r'<section id="area-([a-z-]+)"', html).group(1)
    assert first_area == "warning-signs"
    assert "Warning signs: call straight away if any is yes" in html
    assert 'class="btn choice btn-outline-danger" for="id_chest_pain_1"><span' in html


def test_only_areas_with_a_usual_have_an_as_usual_button(patient_client):
    html = patient_client.get(CHECK_IN).text

    buttons = re.findall(r'name="as_usual_([a-z-]+)"', html)
    assert buttons == [
        "all",
        "bowels-and-tummy",
        "how-you-are-overall",
        "muscles-and-joints",
    ]


def test_without_a_usual_there_is_no_as_usual_button(patient_client, patient):
    patient.baselines.all().delete()

    html = patient_client.get(CHECK_IN).text

    assert "as_usual_" not in html and "Your usual:" not in html
    assert "You have not recorded your usual yet" in html


def test_the_enter_key_sends_the_form_rather_than_filling_in_the_usual(patient_client):
    page = patient_client.get(CHECK_IN).text
    html = page[page.index('class="check-in-form"') :]  # the check-in form, not the page's bar

    first_submit = re.search(r'<(?:button|input) type="submit"[^>]*>', html).group(0)
    assert 'class="default-submit"' in first_submit and "name=" not in first_submit


# "As usual" without JavaScript -----------------------------------------------------------


def test_as_usual_fills_only_that_areas_items_that_have_a_usual_and_saves_nothing(
    patient_client,
):
    data = form(stools_per_day=9, abdominal_pain=3, fatigue=3, chest_pain="yes")
    data["as_usual_bowels-and-tummy"] = "1"

    response = patient_client.post(CHECK_IN, data)

    assert response.status_code == 200 and CheckIn.objects.count() == 0
    html = response.text
    assert box_value(html, "stools_per_day") == "1"  # filled with the usual
    assert checked(html, "abdominal_pain") == "3"  # no usual: left as answered
    assert checked(html, "fatigue") == "3"  # another area: left as answered
    assert checked(html, "chest_pain") == "yes"  # a warning sign is never filled
    assert (
        "Filled in 1 answer with your usual. 1 question here has no usual and is left for "
        "you to answer. Change anything that is different today."
    ) in html
    assert "Nothing has been sent yet" not in html and "invalid-feedback" not in html
    assert f'name="form_token" value="{data["form_token"]}"' in html


def test_fill_everything_answers_every_usual_and_no_to_every_warning_sign(patient_client):
    data = form(temperature_c="37.9", wellbeing=3)
    data["as_usual_all"] = "1"

    response = patient_client.post(CHECK_IN, data)

    html = response.text
    assert CheckIn.objects.count() == 0  # not sent: the patient reads, changes, sends
    assert box_value(html, "stools_per_day") == "1" and box_value(html, "wellbeing") == "8"
    assert checked(html, "fatigue") == "1" and checked(html, "joint_pain") == "0"
    assert checked(html, "nausea") is None  # no usual recorded: left
    for item in ITEMS:
        if item.kind == YESNO:
            assert checked(html, item.key) == "no", item.key
    assert box_value(html, "temperature_c") == "37.9"  # never filled, kept as typed
    assert "Nothing has been sent yet" not in html and "invalid-feedback" not in html


def test_fill_everything_keeps_a_yes_already_given_to_a_warning_sign(patient_client):
    data = {**form(chest_pain="yes"), "as_usual_all": "1"}

    html = patient_client.post(CHECK_IN, data).text

    assert checked(html, "chest_pain") == "yes" and checked(html, "fainting") == "no"
    assert "and No to the other warning signs (the Yes already given is kept)." in html
    assert CheckIn.objects.count() == 0


def test_fill_everything_leaves_the_temperature_blank_when_none_was_typed(patient_client):
    html = patient_client.post(CHECK_IN, {**form(), "as_usual_all": "1"}).text

    assert box_value(html, "temperature_c") is None


def test_after_as_usual_the_form_sends_the_filled_answers(patient_client, patient):
    data = form(nausea=2)
    data["as_usual_all"] = "1"
    patient_client.post(CHECK_IN, data)

    filled = {**form(stools_per_day=1, fatigue=1, wellbeing=8, joint_pain=0, nausea=2)}
    filled["form_token"] = data["form_token"]
    response = send(patient_client, filled)

    saved = CheckIn.objects.get()
    assert response.redirect_chain and saved.stools_per_day == 1 and saved.nausea == 2


def test_an_unknown_as_usual_area_is_an_ordinary_send(patient_client):
    data = form(stools_per_day=1)
    data["as_usual_nowhere"] = "1"

    response = send(patient_client, data)

    assert response.redirect_chain and CheckIn.objects.count() == 1


# Temperature in °C or °F ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "unit", "stored"),
    [
        ("100.4", "F", Decimal("38.0")),
        ("98.6", "F", Decimal("37.0")),
        ("101.3", "F", Decimal("38.5")),
        ("38.2", "C", Decimal("38.2")),
        ("38.25", "C", Decimal("38.3")),
        ("38.2", None, Decimal("38.2")),
    ],
)
def test_a_temperature_in_either_unit_is_stored_in_celsius(patient_client, typed, unit, stored):
    data = form(temperature_c=typed)
    if unit:
        data["temperature_unit"] = unit

    response = send(patient_client, data)

    assert response.redirect_chain
    assert CheckIn.objects.get().temperature_c == stored


def test_the_form_converts_fahrenheit_before_validation():
    data = {"form_token": str(uuid.uuid4()), "temperature_c": "102.2", "temperature_unit": "F"}

    check_in = CheckInForm(data)

    assert check_in.is_valid(), check_in.errors
    assert check_in.cleaned_data["temperature_c"] == Decimal("39.0")


@pytest.mark.parametrize("typed", ["200", "80", "0", "-40"])
def test_an_impossible_fahrenheit_reading_is_rejected_beside_the_field(patient_client, typed):
    response = send(patient_client, {**form(temperature_c=typed), "temperature_unit": "F"})

    assert CheckIn.objects.count() == 0
    assert_error_beside(response, "temperature_c", temperature_message())
    html = response.text
    assert box_value(html, "temperature_c") == typed  # what the patient typed, kept
    assert checked(html, "temperature_unit") == "F"


def test_the_range_message_names_both_units_in_plain_words():
    message = temperature_message()
    assert message.startswith("That temperature cannot be right.")
    # The units never wrap away from their numbers.
    assert "between 32.0 and 44.0\u00a0°C" in message
    assert "between 89.6 and 111.2\u00a0°F" in message


def test_the_range_message_puts_fahrenheit_first_in_american_english():
    from django.utils import translation

    with translation.override("en-us"):
        message = temperature_message()
    assert "between 89.6 and 111.2\u00a0°F (between 32.0 and 44.0\u00a0°C)" in message
    assert "for example 99.0\u00a0°F or 37.2\u00a0°C" in message


def test_a_fahrenheit_reading_sent_as_celsius_gets_a_hint(patient_client):
    response = send(patient_client, form(temperature_c="100.4"))

    assert_error_beside(response, "temperature_c", "That looks like °F: choose °F.")
    assert CheckIn.objects.count() == 0


def test_a_celsius_reading_sent_as_fahrenheit_gets_a_hint(patient_client):
    response = send(patient_client, {**form(temperature_c="38.5"), "temperature_unit": "F"})

    assert_error_beside(response, "temperature_c", "That looks like °C: choose °C.")


def test_a_temperature_that_is_not_a_number_is_rejected(patient_client):
    response = send(patient_client, form(temperature_c="hot"))

    assert_error_beside(response, "temperature_c", "Enter the temperature as a number")
    assert CheckIn.objects.count() == 0


# Warning signs answered yes: send now, or call the emergency number -------------------


def test_the_warning_signs_end_with_a_send_now_block_shown_by_javascript(patient_client, settings):
    settings.EMERGENCY_NUMBER = "112"

    html = patient_client.get(CHECK_IN).text

    area = html[html.index('<section id="area-warning-signs"') :]
    area = area[: area.index("</section>")]
    block = re.search(r'<div class="warning-send"[^>]*>(.*?)</div>\s*</div>', area, re.S)
    assert block and "hidden" in block.group(0).split(">")[0]  # until a warning sign is yes
    words = re.sub(r"<[^>]+>", "", block.group(1))
    assert "You answered yes to a warning sign." in words
    assert "Send your check-in now to be told at once whom to phone." in words
    assert "If it is an emergency, call 112." in words
    # A submit button of the whole form (no name: an ordinary send), and a tel: button.
    assert re.search(r'<button type="submit" class="btn btn-primary btn-lg send-now">', area)
    assert "Send my check-in now</button>" in area
    assert '<a class="btn btn-danger btn-lg emergency-call" href="tel:112">Call 112</a>' in area
    # Announced politely without moving focus.
    assert '<p class="visually-hidden" role="status" data-warning-status></p>' in area


def test_the_send_now_button_sends_the_check_in(patient_client, patient):
    data = form(fainting="yes", stools_per_day=2)

    response = send(patient_client, data)

    saved = CheckIn.objects.get()
    assert saved.fainting is True and saved.stools_per_day == 2
    assert "Urgent: phone now" in response.text


@pytest.mark.parametrize("page", ["patients:home", "patients:check_in", "patients:contacts"])
def test_the_emergency_number_is_a_large_call_button_on_each_page(patient_client, page, settings):
    settings.EMERGENCY_NUMBER = "112"

    html = patient_client.get(reverse(page)).text

    box = re.search(
        r'<div class="emergency emergency-box mb-3" role="note">(.*?)</div>', html, re.S
    )
    assert box, page
    assert "<strong>Emergency" in box.group(1) and "chest pain" in box.group(1).lower()
    assert '<a class="btn btn-danger btn-lg emergency-call" href="tel:112">Call 112</a>' in (
        box.group(1)
    )


# "As usual" says exactly what it did ----------------------------------------------------


def test_fill_everything_says_how_many_were_filled_and_names_what_was_left(patient_client):
    data = {**form(), "as_usual_all": "1"}

    html = patient_client.post(CHECK_IN, data).text

    # The fixture's usual (recorded before every question was required): stools,
    # fatigue, wellbeing and joint pain; the 16 others are named.
    said = re.search(r'<p class="as-usual-status" role="status">([^<]*)</p>', html).group(1)
    assert said.startswith(
        "Filled in 4 answers with your usual and No to every warning sign. No usual is "
        "recorded for these, so they are left for you to answer: Tummy pain, Feeling sick "
        "(nausea), Being sick (vomiting), "
    )
    assert said.endswith(
        "The temperature is left blank: add it if you have taken it. Change anything that "
        "is different today, then send."
    )
    assert "Tiredness" not in said


def test_with_every_usual_recorded_every_answer_is_filled(patient_client, patient):
    from clinical.catalogue import BASELINE_ITEMS
    from patients.services.check_ins import record_baseline

    record_baseline(
        patient=patient,
        values={item.key: 1 for item in BASELINE_ITEMS},
        recorded_by=patient.user,
    )

    html = patient_client.post(CHECK_IN, {**form(), "as_usual_all": "1"}).text

    assert (
        "Filled in every answer with your usual and No to every warning sign. The "
        "temperature is left blank: add it if you have taken it. Change anything that is "
        "different today, then send."
    ) in html
    for item in BASELINE_ITEMS:
        value = box_value(html, item.key) if item.kind != SCORE else checked(html, item.key)
        assert value == "1", item.key
    assert "Complete my usual" not in html


def test_the_page_script_shows_the_servers_words_for_the_whole_form(patient_client):
    from pathlib import Path

    from django.conf import settings

    html = patient_client.get(CHECK_IN).text
    button = re.search(r'<button type="submit" name="as_usual_all"[^>]*>', html).group(0)
    assert 'data-said="Filled in 4 answers with your usual and No to every warning sign.' in (
        button
    )
    assert "data-said-kept=" in button and "(the Yes already given is kept)" in button

    script = (Path(settings.BASE_DIR) / "static" / "js" / "check_in.js").read_text()
    assert 'button.getAttribute(keptYes ? "data-said-kept" : "data-said")' in script
    for words in (  # a body area's button: the same words as filled_message
        ' with " + whose + " usual.',
        " 1 question here has no usual and is left for you to answer.",
        " questions here have no usual and are left for you to answer.",
        " Change anything that is different today.",
    ):
        assert words in script, words


def test_each_area_can_fold_to_one_line_once_answered_as_usual(patient_client):
    html = patient_client.get(CHECK_IN).text

    folds = re.findall(
        r'<div class="area-fold" data-area-fold hidden>\s*<p class="area-fold-text">([^<]*)</p>'
        r'\s*<button type="button" class="btn btn-outline-dark area-fold-toggle" '
        r'aria-expanded="false" aria-controls="area-([a-z-]+)-questions">',
        html,
    )
    said = dict((slug, text) for text, slug in folds)
    assert said["warning-signs"] == "Answered No to all 9 warning signs."
    assert said["bowels-and-tummy"] == "Answered as usual."
    assert said["how-you-are-overall"] == "Answered as usual. Temperature not taken."
    for slug in said:  # what it folds is there, shown, for a page without JavaScript
        assert f'<div class="area-questions" id="area-{slug}-questions">' in html


# The error summary ----------------------------------------------------------------------


def test_errors_are_listed_at_the_top_with_a_link_to_each_question(patient_client):
    response = send(patient_client, form(nausea=7, wellbeing=11))

    html = response.text
    summary = re.search(
        r'<div class="error-summary mb-4" tabindex="-1" data-error-summary>(.*?)</ul>', html, re.S
    )
    assert summary, "no error summary"
    text = summary.group(1)
    assert "There is a problem" in text and "Nothing has been sent yet." in text
    # A radio group's link goes to its first choice; a box's to the box.
    assert (
        '<a href="#id_nausea_0" data-error-link>Feeling sick (nausea)</a>: Choose one of the'
        in text
    )
    assert '<a href="#id_wellbeing" data-error-link>Overall, how well do you feel today?' in text
    assert ": Enter a number from 0 to 10." in text
    # Not the emergency's red alert.
    assert "alert-danger" not in html.split('class="check-in-form"')[0]
    assert "Please correct the answers marked below" not in html
