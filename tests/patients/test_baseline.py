"""Recording the patient's usual (baseline) through the page; re-baselining keeps history."""

import re
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from clinical.catalogue import BASELINE_ITEMS
from patients.models import Baseline, CheckIn

from ..conftest import login

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
BASELINE = reverse("patients:baseline")


def complete(**values) -> dict:
    """A whole usual, as the page requires: none (0) for every symptom, 1 stool a day,
    wellbeing 8, then `values`."""
    usual = {item.key: 0 for item in BASELINE_ITEMS}
    return {**usual, "stools_per_day": 1, "wellbeing": 8, **values}


def record(client, **values):
    """Post the baseline page, every question answered (`values` over a whole usual).
    The wall clock runs on: the fixtures' baseline was recorded a moment ago by it, and
    the newest baseline is the active one."""
    return post(client, **complete(**values))


def post(client, **values):
    """Post the baseline page with exactly `values`."""
    return client.post(BASELINE, {k: str(v) for k, v in values.items()}, follow=True)


def check_in(client, **answers):
    data = {"form_token": str(uuid.uuid4()), **{k: str(v) for k, v in answers.items()}}
    return client.post(reverse("patients:check_in"), data, follow=True)


def test_it_records_a_first_baseline(client, patient):
    Baseline.objects.filter(patient=patient).delete()
    login(client, patient.user)

    with time_machine.travel(TUESDAY_10, tick=False):
        response = record(client, stools_per_day=2, fatigue=1, joint_pain=2, wellbeing=7)

    baseline = Baseline.objects.get(patient=patient)
    assert (baseline.stools_per_day, baseline.fatigue, baseline.joint_pain, baseline.wellbeing) == (
        2,
        1,
        2,
        7,
    )
    assert baseline.nausea == 0  # none, answered
    assert baseline.recorded_by == patient.user
    assert baseline.created_at == TUESDAY_10
    # The first visit's last step: the contact list.
    assert response.redirect_chain == [(reverse("patients:contacts") + "?welcome=1", 302)]
    assert "Your usual has been saved. Last step: here is who to phone" in response.text
    assert "You are all set up" in response.text


def test_the_page_shows_the_current_baseline_as_the_starting_values(patient_client, patient):
    response = patient_client.get(BASELINE)

    form = response.context["form"]
    assert form.fields["stools_per_day"].initial == 1
    assert form.fields["wellbeing"].initial == 8
    assert "Saving again starts a new baseline" in response.text


def test_re_baselining_keeps_the_earlier_row_and_makes_the_new_one_active(patient_client, patient):
    earlier = patient.active_baseline

    record(patient_client, stools_per_day=3, wellbeing=6)

    assert Baseline.objects.filter(patient=patient).count() == 2
    assert Baseline.objects.filter(pk=earlier.pk, stools_per_day=1, wellbeing=8).exists()
    active = patient.active_baseline
    assert active != earlier
    assert (active.stools_per_day, active.wellbeing) == (3, 6)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stools_per_day", 51, "Enter a number from 0 to 50."),
        ("stools_per_day", -1, "Enter a number from 0 to 50."),
        ("wellbeing", 11, "Enter a number from 0 to 10."),
        ("fatigue", 5, "Choose one of the answers shown."),
        ("fatigue", "abc", "Choose one of the answers shown."),
    ],
)
def test_it_rejects_a_value_out_of_range_and_saves_nothing(
    patient_client, patient, field, value, message
):
    response = record(patient_client, **{"nausea": 0, field: value})

    assert response.status_code == 200 and not response.redirect_chain
    assert response.context["form"].errors[field] == [message]
    assert f'id="id_{field}_error"' in response.text
    assert "Nothing has been saved yet" in response.text
    assert Baseline.objects.filter(patient=patient).count() == 1


def test_a_check_in_made_before_re_baselining_keeps_its_baseline(patient_client, patient):
    earlier = patient.active_baseline
    check_in(patient_client, stools_per_day=9)

    record(patient_client, stools_per_day=9, wellbeing=8)

    saved = CheckIn.objects.get()
    assert saved.baseline == earlier
    assert patient.active_baseline != earlier
    assert patient.active_baseline.check_ins.count() == 0
    result = patient_client.get(reverse("patients:check_in_result", args=[saved.pk]))
    assert result.context["evaluation"].urgency == "red"


def test_a_check_in_after_re_baselining_is_compared_with_the_new_baseline(patient_client, patient):
    record(patient_client, stools_per_day=9, wellbeing=8)

    response = check_in(patient_client, stools_per_day=9)

    saved = CheckIn.objects.get()
    assert saved.baseline == patient.active_baseline
    assert saved.urgency == "green"
    assert "Thank you: nothing new to report" in response.text


def test_the_page_uses_the_check_ins_large_choices_grouped_by_body_area(patient_client):
    html = patient_client.get(BASELINE).text

    areas = re.findall(r'<section id="area-([a-z-]+)" class="area card', html)
    assert areas[0] == "bowels-and-tummy" and "warning-signs" not in areas
    assert len(areas) == 8
    assert re.search(
        r'<input type="radio" class="btn-check" name="fatigue" id="id_fatigue_1" value="1" '
        r'checked>\s*<label class="btn choice btn-outline-primary" for="id_fatigue_1">',
        html,
    )
    assert '<legend class="choice-legend">Tiredness or lack of energy</legend>' in html
    assert "form-check-input" not in html  # no small inline radios
    # No "as usual", no usual shown: this is where the usual is recorded.
    assert "as_usual_" not in html and "Your usual:" not in html and "usual-tag" not in html
    assert 'value="Save my usual"' in html


def test_questions_about_the_last_24_hours_ask_about_a_typical_day(patient_client):
    html = patient_client.get(BASELINE).text

    assert "On a typical day, how many times do you open your bowels?" in html
    assert "Overall, how well do you usually feel? (0 = very unwell, 10 = completely well)" in html
    assert "in the last 24 hours" not in html and "feel today" not in html


def test_an_error_is_listed_at_the_top_with_a_link_to_the_question(patient_client):
    response = record(patient_client, wellbeing=11)

    html = response.text
    assert 'class="error-summary mb-4" tabindex="-1" data-error-summary' in html
    assert '<a href="#id_wellbeing" data-error-link>Overall, how well do you usually feel?' in html
    assert 'id="id_wellbeing_error"' in html  # and beside the question


def test_a_baseline_with_every_question_blank_is_refused_and_keeps_the_usual(
    patient_client, patient
):
    kept = patient.active_baseline

    response = post(patient_client)

    assert response.status_code == 200
    assert f"{len(BASELINE_ITEMS)} questions are not answered yet." in response.text
    assert "Nothing has been saved yet." in response.text
    assert list(Baseline.objects.filter(patient=patient)) == [kept]
    assert patient.active_baseline == kept


def test_a_new_baseline_needs_every_question_answered_and_names_those_left(patient_client, patient):
    answers = complete()
    del answers["nausea"], answers["wellbeing"]

    response = post(patient_client, **answers)

    assert response.status_code == 200 and Baseline.objects.filter(patient=patient).count() == 1
    html = response.text
    assert "There is a problem" in html
    assert "2 questions are not answered yet. Please answer every question: if you do not " in (
        html
    )
    # Each one listed at the top, in form order, linked to its question, in plain words.
    errors = response.context["form"].errors
    assert errors["nausea"] == ["Choose an answer: \u201cNone\u201d if you do not usually have it."]
    assert errors["wellbeing"] == ["Enter a number from 0 to 10."]
    assert re.search(
        r'<a href="#id_nausea_0" data-error-link>Feeling sick \(nausea\)</a>: Choose an answer',
        html,
    )
    assert html.index('href="#id_nausea_0"') < html.index('href="#id_wellbeing"')
    assert 'id="id_nausea_error"' in html  # and beside the question


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("vomiting", "Choose an answer: \u201cNever\u201d if you do not usually have it."),
        ("stools_per_day", "Enter how many times on a typical day, for example 1."),
    ],
)
def test_a_blank_says_what_none_is_for_that_question(patient_client, key, message):
    answers = complete()
    del answers[key]

    response = post(patient_client, **answers)

    assert response.context["form"].errors[key] == [message]
    assert "1 question is not answered yet." in response.text


def test_none_is_an_answer_and_is_shown_chosen_when_the_page_opens_again(patient_client, patient):
    record(patient_client, nausea=0, fatigue=2)

    assert patient.active_baseline.nausea == 0
    html = patient_client.get(BASELINE).text
    assert re.search(r'name="nausea" id="id_nausea_0" value="0" checked', html)
    assert "no answer yet" not in html


def test_an_older_usual_with_blanks_is_kept_and_the_patient_is_asked_to_complete_it(
    patient_client, patient
):
    # The fixture's usual was recorded before every question was required: 4 answers.
    left = len(BASELINE_ITEMS) - 4

    page = patient_client.get(BASELINE).text
    home = patient_client.get(reverse("patients:home")).text
    check_in_page = patient_client.get(reverse("patients:check_in")).text

    assert f"{left} questions of your usual have no answer yet" in page
    assert "Feeling sick (nausea)" in page
    assert f"Your usual has {left} questions with no answer." in home
    assert "Complete my usual" in home
    assert f"Your usual has {left} questions with no answer" in check_in_page
    assert "Complete my usual" in check_in_page
    # Still used as it is: a check-in is compared with it (blanks count as none).
    response = check_in(patient_client, stools_per_day=1, nausea=1)
    assert CheckIn.objects.get().baseline == patient.active_baseline
    assert "Thank you" in response.text


def test_a_whole_usual_asks_for_nothing_more(patient_client):
    record(patient_client)

    home = patient_client.get(reverse("patients:home")).text
    check_in_page = patient_client.get(reverse("patients:check_in")).text

    assert "Complete my usual" not in home and "Complete my usual" not in check_in_page
