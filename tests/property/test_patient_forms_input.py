"""Bad input to the login form, the questions notebook, the reminder settings and the stop
link in a reminder email (hypothesis).

Whatever is posted: never a server error; a post that is refused changes nothing and
names the problem on the page; one that is accepted changes only what it is about.
"""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from patients.models import Patient, Question
from patients.notebook import SUGGESTED_QUESTIONS
from patients.services.reminders import reminder_stop_token

from ..factories import PASSWORD
from .support import (
    ADVERSARIAL,
    adversarial,
    assert_changed_only,
    assert_problems_shown,
    check_post,
    fuzz,
    new_client,
    not_a_server_error,
    posted_value,
    rolled_back,
    snapshot,
    unicode_text,
)

LOGIN = reverse("login")
QUESTIONS = reverse("patients:questions")
SUGGESTED = reverse("patients:question_add_suggested")
REMINDERS = reverse("patients:reminders")


def last(value):
    """What the view reads of a posted value: the last of several."""
    return str(value[-1] if isinstance(value, list) else value)


def text_is_valid(text: str, limit: int, *, required: bool) -> bool:
    """A Django CharField's verdict: stripped, no NUL byte, within the limit."""
    text = text.strip()
    return "\x00" not in text and len(text) <= limit and (bool(text) or not required)


# Logging in --------------------------------------------------------------------------------


@fuzz(15)
@given(
    # Longer usernames are a server error on PostgreSQL (a bug, see the test below).
    username=st.one_of(
        st.sampled_from(["alice", "ALICE", "alice\x00", "nobody", "a" * 255]), adversarial
    ).filter(lambda username: len(username) <= 255),
    password=st.one_of(st.sampled_from([PASSWORD, PASSWORD + "\x00", ""]), adversarial),
    next_url=st.one_of(
        st.sampled_from(
            [
                "/questions/",
                "//evil.example/",
                "https://evil.example/",
                "javascript:alert(1)",
                "/\\evil.example",
                "\x00",
                "http:///evil.example",
            ]
        ),
        adversarial,
    ),
    extra=st.dictionaries(unicode_text, posted_value, max_size=2),
    use_the_right_one=st.booleans(),
)
def test_a_login_succeeds_only_with_the_right_password_and_never_leaves_the_site(
    patient, username, password, next_url, extra, use_the_right_one
):
    if use_the_right_one:
        username, password = "alice", PASSWORD
    data = {**extra, "username": username, "password": password, "next": next_url}
    right = username == "alice" and password == PASSWORD
    event("right password" if right else "wrong")
    with rolled_back():
        client = new_client()  # a fresh browser each time: a login changes the session
        response, changed = check_post(client, LOGIN, data)
        if right:
            assert response.status_code == 302
            assert_changed_only(changed, get_user_model()._meta.label)  # last_login
            location = urlsplit(response["Location"])
            assert not location.scheme and not location.netloc, response["Location"]
            assert not location.path.startswith(("//", "/\\"))
        else:
            assert response.status_code == 200
            assert_problems_shown(response, "form")


@pytest.mark.parametrize("length", [256, 5000])
def test_a_very_long_username_is_refused_with_a_message_not_a_500(patient, length):
    """The login form sets no limit on the username; django-axes then records the failed
    login in a VARCHAR(255) column, which PostgreSQL refuses: a server error for anyone,
    without logging in. (SQLite does not enforce the length.)"""
    data = {"username": "a" * length, "password": "wrong", "next": "/"}

    response, changed = check_post(new_client(), LOGIN, data)

    assert response.status_code == 200 and not changed
    assert_problems_shown(response, "form")


# The questions notebook --------------------------------------------------------------------


@fuzz(15)
@given(text=st.one_of(adversarial, st.lists(adversarial, min_size=1, max_size=3)))
def test_a_question_is_added_once_or_refused_with_a_message(patient_browser, text):
    valid = text_is_valid(last(text), 300, required=True)
    with rolled_back():
        response, _changed = check_post(patient_browser, QUESTIONS, {"text": text})
        if valid:
            assert response.status_code == 302
            assert Question.objects.get().text == last(text).strip()
        else:
            assert response.status_code == 200
            assert_problems_shown(response, "add_form")
            assert "Your question has not been added yet." in response.text


@fuzz(10)
@given(key=st.one_of(st.sampled_from(sorted(SUGGESTED_QUESTIONS)), posted_value))
def test_a_suggested_question_is_added_by_its_key_only(patient_browser, key):
    with rolled_back():
        response, changed = check_post(patient_browser, SUGGESTED, {"key": key})
        if last(key) in SUGGESTED_QUESTIONS:
            assert response.status_code == 302
            assert Question.objects.get().text == SUGGESTED_QUESTIONS[last(key)]
        else:
            assert response.status_code == 404 and not changed


@pytest.mark.parametrize("key", ["work", "holidays"])
def test_a_suggested_question_is_added_with_one_tap(patient_browser, key):
    """The suggestions are translatable (gettext_lazy): the lazy text must be turned into
    a string before it reaches the database. PostgreSQL's driver cannot adapt it (a 500
    on every tap); SQLite's happens to."""
    response, _changed = check_post(patient_browser, SUGGESTED, {"key": key})

    assert response.status_code == 302
    assert Question.objects.get().text == str(SUGGESTED_QUESTIONS[key])


@pytest.fixture
def question(patient):
    return Question.objects.create(patient=patient, text="Can I drink alcohol?")


@pytest.fixture
def other_question(other_patient):
    return Question.objects.create(patient=other_patient, text="Is it safe to fly?")


def question_url(name, pk):
    return reverse(f"patients:question_{name}", args=[pk])


PKS = st.sampled_from(["mine", "theirs", 0, 2**31, 2**63 - 1, 2**63, 10**30])


def pk_of(choice, question, other_question):
    return {"mine": question.pk, "theirs": other_question.pk}.get(choice, choice)


@fuzz(10)
@given(pk=PKS, asked=posted_value, action=st.sampled_from(["asked", "delete"]))
def test_marking_or_deleting_a_question_needs_one_of_the_patients_own(
    patient_browser, question, other_question, pk, asked, action
):
    url = question_url(action, pk_of(pk, question, other_question))
    with rolled_back():
        response, changed = check_post(patient_browser, url, {"asked": asked})
        if pk == "mine":
            assert response.status_code == 302
            assert_changed_only(changed, "patients.Question", required=False)
            if action == "delete":
                assert not Question.objects.filter(pk=question.pk).exists()
            else:
                asked_at = Question.objects.get(pk=question.pk).asked_at
                assert (asked_at is not None) is (last(asked) == "yes")
        else:
            assert response.status_code == 404 and not changed


@fuzz(15)
@given(answer=st.one_of(adversarial, st.lists(adversarial, min_size=1, max_size=2)))
def test_an_answer_note_is_saved_or_refused_with_a_message(patient_browser, question, answer):
    valid = text_is_valid(last(answer), 1000, required=False)
    field = f"q{question.pk}-answer"
    with rolled_back():
        response, _changed = check_post(
            patient_browser, question_url("answer", question.pk), {field: answer}
        )
        if valid:
            assert response.status_code == 302
            question.refresh_from_db()
            assert question.answer == last(answer).strip()
        else:
            assert response.status_code == 200
            forms = [
                q.answer_form
                for section in response.context["sections"]
                for q in section["questions"]
                if q.answer_form.errors
            ]
            assert [f.instance.pk for f in forms] == [question.pk]
            html = response.text
            for message in forms[0].errors["answer"]:
                assert message.replace("'", "&#x27;").replace('"', "&quot;") in html


# Reminder settings and the stop link ---------------------------------------------------------


@fuzz(15)
@given(
    reminders=posted_value,
    at=st.one_of(
        st.sampled_from(["18:30", "07:05", "00:00", "23:59:59", "24:00", "25:00", "7pm", "\x00"]),
        adversarial,
        st.lists(adversarial, min_size=2, max_size=2),
    ),
)
def test_reminder_settings_are_saved_or_refused_with_a_message(
    patient_browser, patient, reminders, at
):
    with rolled_back():
        response, changed = check_post(
            patient_browser, REMINDERS, {"reminders": reminders, "reminder_time": at}
        )
        if response.status_code == 302:
            assert_changed_only(changed, "patients.Patient", required=False)
        else:
            assert response.status_code == 200
            assert_problems_shown(response, "form")


@pytest.mark.parametrize(
    ("at", "valid"), [("18:30", True), ("25:00", False), ("\x00", False), ("", False)]
)
def test_a_reminder_time_is_checked(patient_browser, at, valid):
    response, _changed = check_post(
        patient_browser, REMINDERS, {"reminders": "on", "reminder_time": at}
    )
    assert (response.status_code == 302) is valid


def stop_url(token: str) -> str:
    return reverse("patients:stop_reminders", args=[token])


junk_token = st.one_of(
    st.sampled_from([*ADVERSARIAL, "MQ:abc", "1:1tXyZ:abc", "Ng" * 50, ".." + "x" * 300]),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=80),
).filter(lambda token: token.strip() and "/" not in token and "\x00" not in token)


@fuzz(10)
@given(token=junk_token, method=st.sampled_from(["get", "post"]))
def test_a_junk_stop_link_is_not_found_and_changes_nothing(patient, token, method):
    client = new_client()
    with rolled_back():
        before = snapshot()
        response = getattr(client, method)(stop_url(token))
        not_a_server_error(response)
        assert response.status_code == 404
        assert "This link does not work" in response.text
        assert snapshot() == before


@pytest.mark.parametrize("token", ["a\x00b", "%00", "\x00"])
def test_a_stop_link_with_a_nul_byte_is_not_found(patient, token):
    response = new_client().post(f"/reminders/stop/{token}/")
    not_a_server_error(response)
    assert response.status_code == 404
    assert Patient.objects.get(pk=patient.pk).reminders is True


def test_a_tampered_stop_link_is_refused_and_the_real_one_works(patient):
    client = new_client()
    token = reminder_stop_token(patient.pk)
    for tampered in (token[:-1], token + "x", token.upper(), token.replace(":", ";")):
        response = client.post(stop_url(tampered))
        not_a_server_error(response)
        assert response.status_code == 404

    assert Patient.objects.get(pk=patient.pk).reminders is True
    assert client.post(stop_url(token)).status_code == 200
    assert Patient.objects.get(pk=patient.pk).reminders is False
