"""Questions for my next appointment: the patient's own notebook, changed only by them."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from patients.models import Question
from patients.notebook import SUGGESTED_QUESTIONS

from ..conftest import login

QUESTIONS = reverse("patients:questions")
# 23:30 in London on 24 November is still the 24th; in Auckland it is already the 25th.
LATE_EVENING = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


def ask(patient, text="Can I drink alcohol?", **fields):
    return Question.objects.create(patient=patient, text=text, **fields)


def test_it_shows_an_empty_notebook_with_every_suggestion(patient_client):
    response = patient_client.get(QUESTIONS)

    assert response.status_code == 200
    assert "No questions waiting to be asked" in response.text
    for text in map(str, SUGGESTED_QUESTIONS.values()):
        assert text in response.text
    assert response.text.count('name="key"') == len(SUGGESTED_QUESTIONS)


def test_it_adds_a_question_of_the_patients_own(patient_client, patient):
    response = patient_client.post(QUESTIONS, {"text": "  Can I drink alcohol?  "}, follow=True)

    question = Question.objects.get()
    assert (question.patient, question.text, question.asked_at) == (
        patient,
        "Can I drink alcohol?",
        None,
    )
    assert response.redirect_chain == [(QUESTIONS, 302)]
    assert "Your question has been added." in response.text
    assert [q.pk for q in response.context["sections"][0]["questions"]] == [question.pk]


def test_the_same_question_sent_twice_is_kept_once(patient_client):
    patient_client.post(QUESTIONS, {"text": "Can I drink alcohol?"})
    response = patient_client.post(QUESTIONS, {"text": "can I drink alcohol?"}, follow=True)

    assert Question.objects.count() == 1
    assert "already in your notebook" in response.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your question in the box first."),
        ("   ", "Write your question in the box first."),
        ("x" * 301, "at most 300 characters (it has 301)"),
    ],
)
def test_it_rejects_an_empty_or_too_long_question_and_saves_nothing(patient_client, text, message):
    response = patient_client.post(QUESTIONS, {"text": text})

    assert response.status_code == 200
    assert message in response.context["add_form"].errors["text"][0]
    assert message in response.text
    assert 'aria-describedby="id_text_error"' in response.text
    assert "Your question has not been added yet." in response.text
    assert not Question.objects.exists()


def test_a_suggested_question_is_added_with_one_tap_and_leaves_the_suggestions(
    patient_client, patient
):
    url = reverse("patients:question_add_suggested")

    response = patient_client.post(url, {"key": "holidays"}, follow=True)

    assert response.redirect_chain == [(QUESTIONS, 302)]
    assert Question.objects.get(patient=patient).text == SUGGESTED_QUESTIONS["holidays"]
    keys = [key for key, _text in response.context["suggestions"]]
    assert "holidays" not in keys and len(keys) == len(SUGGESTED_QUESTIONS) - 1
    assert 'value="holidays"' not in response.text


def test_a_suggested_question_tapped_twice_is_added_once(patient_client):
    url = reverse("patients:question_add_suggested")
    patient_client.post(url, {"key": "work"})
    patient_client.post(url, {"key": "work"})

    assert Question.objects.count() == 1


def test_an_unknown_suggestion_is_not_found_and_adds_nothing(patient_client):
    response = patient_client.post(reverse("patients:question_add_suggested"), {"key": "nope"})

    assert response.status_code == 404
    assert not Question.objects.exists()


def test_it_marks_a_question_asked_with_the_patients_local_date(patient_client, patient):
    patient.time_zone = "Pacific/Auckland"
    patient.save()
    question = ask(patient)
    url = reverse("patients:question_asked", args=[question.pk])

    with time_machine.travel(LATE_EVENING, tick=False):
        response = patient_client.post(url, {"asked": "yes"}, follow=True)

    question.refresh_from_db()
    assert question.asked_at == LATE_EVENING
    assert response.redirect_chain == [(f"{QUESTIONS}#q{question.pk}", 302)]
    to_ask, asked = response.context["sections"]
    assert (to_ask["questions"], [q.pk for q in asked["questions"]]) == ([], [question.pk])
    assert "Asked on 25 November 2026" in response.text


def test_it_lists_questions_not_yet_asked_first(patient_client, patient):
    asked = ask(patient, "Asked one", asked_at=LATE_EVENING)
    waiting = ask(patient, "Still to ask")

    response = patient_client.get(QUESTIONS)

    assert response.text.index(waiting.text) < response.text.index(asked.text)
    assert list(patient.questions.all()) == [waiting, asked]


def test_it_moves_a_question_back_to_not_asked(patient_client, patient):
    question = ask(patient, asked_at=LATE_EVENING)

    patient_client.post(reverse("patients:question_asked", args=[question.pk]), {"asked": "no"})

    question.refresh_from_db()
    assert question.asked_at is None


def test_it_saves_a_note_of_the_answer(patient_client, patient):
    question = ask(patient, asked_at=LATE_EVENING)
    url = reverse("patients:question_answer", args=[question.pk])

    response = patient_client.post(
        url, {f"q{question.pk}-answer": "Only a little, and not on treatment days."}, follow=True
    )

    question.refresh_from_db()
    assert question.answer == "Only a little, and not on treatment days."
    assert response.redirect_chain == [(f"{QUESTIONS}#q{question.pk}", 302)]
    assert "Only a little, and not on treatment days." in response.text


def test_a_note_too_long_is_refused_beside_its_question_and_nothing_saved(patient_client, patient):
    question = ask(patient, asked_at=LATE_EVENING, answer="Earlier note")
    url = reverse("patients:question_answer", args=[question.pk])

    response = patient_client.post(url, {f"q{question.pk}-answer": "x" * 1001})

    assert response.status_code == 200
    assert "at most 1000 characters (it has 1001)" in response.text
    question.refresh_from_db()
    assert question.answer == "Earlier note"


def test_it_deletes_a_question_after_asking_to_confirm(patient_client, patient):
    question = ask(patient)
    page = patient_client.get(QUESTIONS)
    assert "Delete this question from your list? This cannot be undone." in page.text

    response = patient_client.post(
        reverse("patients:question_delete", args=[question.pk]), follow=True
    )

    assert response.redirect_chain == [(QUESTIONS, 302)]
    assert not Question.objects.exists()
    assert "The question has been deleted." in response.text


@pytest.mark.parametrize(
    "name", ["patients:question_asked", "patients:question_answer", "patients:question_delete"]
)
def test_another_patients_question_is_not_found_and_unchanged(patient_client, other_patient, name):
    theirs = ask(other_patient, "Bob's question", answer="Bob's note")
    data = {"asked": "yes", f"q{theirs.pk}-answer": "Mine now"}

    response = patient_client.post(reverse(name, args=[theirs.pk]), data)

    assert response.status_code == 404
    theirs = Question.objects.get(pk=theirs.pk)
    assert (theirs.asked_at, theirs.answer) == (None, "Bob's note")


def test_another_patients_questions_are_not_listed(patient_client, other_patient):
    ask(other_patient, "Bob's question")

    response = patient_client.get(QUESTIONS)

    assert "Bob's question" not in response.text


@pytest.mark.parametrize(
    "name", ["patients:question_asked", "patients:question_answer", "patients:question_delete"]
)
def test_the_actions_take_only_a_post(patient_client, patient, name):
    question = ask(patient)

    response = patient_client.get(reverse(name, args=[question.pk]))

    assert response.status_code == 405
    assert Question.objects.filter(pk=question.pk, asked_at=None).exists()


def test_a_nurse_does_not_get_the_notebook(client, nurse, patient):
    login(client, nurse)
    question = ask(patient)

    assert client.get(QUESTIONS).status_code == 404
    assert client.post(QUESTIONS, {"text": "Hello"}).status_code == 404
    url = reverse("patients:question_asked", args=[question.pk])
    assert client.post(url, {"asked": "yes"}).status_code == 404
    assert Question.objects.count() == 1


def test_anyone_logged_out_is_sent_to_log_in(client, patient):
    question = ask(patient)

    for url in (QUESTIONS, reverse("patients:question_delete", args=[question.pk])):
        response = client.post(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert Question.objects.count() == 1
