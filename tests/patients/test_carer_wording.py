"""A carer's pages speak to the carer about the patient ("If Alice gets worse"), where
the patient's own pages say "you"; the printed card still speaks for the patient."""

import html
import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.services import check_ins

from ..conftest import login
from ..factories import make_check_in, make_flag

HOME = reverse("patients:home")
CHECK_IN = reverse("patients:check_in")
HISTORY = reverse("patients:check_ins")
CONTACTS = reverse("patients:contacts")


def words(response) -> str:
    """What a reader sees: no tags, entities decoded, spaces collapsed."""
    assert response.status_code == 200
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.S)
    text = re.sub(r"<title>.*?</title>", " ", text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def judged(check_in):
    """The verdict the patient was shown, stored as record_check_in stores it."""
    check_in.urgency = check_ins.evaluate(check_in).urgency
    check_in.save(update_fields=["urgency"])
    return check_in


@pytest.fixture
def both(client, patient, carer):
    """Alice's page and Cara's (her carer's) page, each as its reader sees it."""
    carer_client = client.__class__()
    login(carer_client, carer)
    patient_client = login(client, patient.user)

    def get(url, **params):
        return words(patient_client.get(url, params)), words(carer_client.get(url, params))

    get.patient, get.carer = patient_client, carer_client
    return get


def assert_says(page, *phrases):
    for phrase in phrases:
        assert phrase in page, phrase


def assert_never(page, *phrases):
    for phrase in phrases:
        assert phrase.lower() not in page.lower(), phrase


# Said to the patient and never to a carer: the carer is not the patient.
PATIENT_ONLY_WORDS = ("your usual", "you are on immunotherapy", "my usual", "All my contacts")


def test_home(both):
    mine, theirs = both(HOME)

    assert_says(mine, "If you feel unwell", "Tell your team about any change")
    assert_says(theirs, "If Alice feels unwell", "Tell Alice's team about any change")
    assert_says(theirs, "Check in for Alice", "Alice's check-ins")
    assert_never(theirs, *PATIENT_ONLY_WORDS, "Do today's check-in")


def test_check_in_form(both):
    mine, theirs = both(CHECK_IN)

    assert_says(mine, "Fill in my usual answers", "Your usual: mild", "send your check-in")
    assert_says(mine, "Send my check-in now", "Feeling as usual today?")
    assert_says(theirs, "Fill in Alice's usual answers", "Alice's usual: mild")
    assert_says(theirs, "If Alice has any of these", "send Alice's check-in straight away")
    assert_says(theirs, "Send Alice's check-in now", "Is Alice feeling as usual today?")
    assert_says(theirs, "You answered yes to a warning sign for Alice.")
    assert_never(theirs, *PATIENT_ONLY_WORDS, "Fill in my usual", "Send my check-in")
    assert_says(mine, "Send my check-in")
    assert_says(theirs, "Send Alice's check-in")


def test_check_in_form_with_an_error(both):
    data = {"form_token": str(uuid.uuid4()), "wellbeing": "11"}
    mine = words(both.patient.post(CHECK_IN, data))
    theirs = words(both.carer.post(CHECK_IN, {**data, "form_token": str(uuid.uuid4())}))

    for page in (mine, theirs):
        assert_says(page, "There is a problem", "Nothing has been sent yet.")
    assert_says(theirs, "Send Alice's check-in now", "Alice's usual: 8 out of 10")
    assert_never(theirs, *PATIENT_ONLY_WORDS)


def test_check_in_form_as_usual_without_javascript(both):
    data = {"form_token": str(uuid.uuid4()), "as_usual_all": "1"}
    mine = words(both.patient.post(CHECK_IN, data))
    theirs = words(both.carer.post(CHECK_IN, data))

    assert_says(mine, "Filled in 4 answers with your usual and No to every warning sign.")
    assert_says(theirs, "Filled in 4 answers with Alice's usual and No to every warning sign.")
    assert_says(theirs, "Alice's usual has 16 questions with no answer", "Please ask Alice")
    assert_says(mine, "Your usual has 16 questions with no answer", "Complete my usual")
    assert_never(theirs, "Complete my usual")


def test_check_in_form_with_no_usual_recorded(both, patient):
    patient.baselines.all().delete()
    mine, theirs = both(CHECK_IN)

    assert_says(mine, "You have not recorded your usual yet")
    assert_says(theirs, "No usual has been recorded for Alice yet")
    _home_mine, home_theirs = both(HOME)
    assert_says(home_theirs, "Alice has not recorded their usual yet")


@pytest.mark.parametrize(
    ("answers", "patient_says", "carer_says"),
    [
        (
            {"stools_per_day": 9},
            [
                "Say you are on immunotherapy",
                "Stools: 9 in the last 24 hours; your usual is 1 a day",
                "Your care team is being sent an alert.",
            ],
            [
                "Say Alice is on immunotherapy",
                "Stools: 9 in the last 24 hours; Alice's usual is 1 a day",
                "Alice's care team is being sent an alert.",
            ],
        ),
        (
            {"stools_per_day": 3},
            ["Phone your team today", "Something has changed from your usual"],
            ["Phone Alice's team today", "Something has changed from Alice's usual"],
        ),
        (
            {"chest_pain": True},
            ["What you have told us can be a sign", "say you are on immunotherapy"],
            ["These answers can be a sign", "say Alice is on immunotherapy"],
        ),
        (
            {"stools_per_day": 1},
            ["Your answers are close to your usual"],
            ["The answers are close to Alice's usual"],
        ),
    ],
    ids=["red", "amber", "emergency", "green"],
)
def test_check_in_result(both, patient, answers, patient_says, carer_says):
    result = reverse(
        "patients:check_in_result", args=[judged(make_check_in(patient, **answers)).pk]
    )
    mine, theirs = both(result)

    assert_says(mine, *patient_says, "If you get worse", "All my contacts")
    assert_says(mine, "Do not start any new medicines")
    assert_says(theirs, *carer_says, "If Alice gets worse, or you are worried")
    assert_says(theirs, "All Alice's contacts", "Alice should not start any new medicines")
    assert_says(theirs, "Alice should keep taking their regular medicines")
    assert_never(theirs, *PATIENT_ONLY_WORDS, "If you get worse", "your team")


def test_check_in_result_of_an_earlier_day(both, patient):
    old = make_check_in(patient, at=timezone.now() - timedelta(days=3), stools_per_day=1)
    mine, theirs = both(reverse("patients:check_in_result", args=[old.pk]))

    assert_says(mine, "This is your check-in of", "If you feel unwell now")
    assert_says(theirs, "This is Alice's check-in of", "If Alice feels unwell now")


def test_check_in_result_with_no_contact_to_phone(both, patient):
    patient.care_team.contacts.all().delete()
    red = judged(make_check_in(patient, stools_per_day=9))
    mine, theirs = both(reverse("patients:check_in_result", args=[red.pk]))

    assert_says(mine, "Your team's contact list has no number", "on your treatment card")
    assert_says(theirs, "Alice's team's contact list has no number", "on Alice's treatment card")


def test_history(both, patient):
    flagged = make_check_in(patient, stools_per_day=9)
    make_flag(flagged, "stools_per_day", "red", explanation="x")
    mine, theirs = both(HISTORY)

    assert_says(mine, "Each chart shows your answers against your usual", "your usual is 1 a day")
    assert_says(mine, "Not yet seen by your team", "You answered on 1 of the last 30 days")
    assert_says(theirs, "Each chart shows Alice's answers against Alice's usual")
    assert_says(theirs, "Alice's usual is 1 a day", "Not yet seen by Alice's team")
    assert_says(theirs, "Alice answered on 1 of the last 30 days", "Alice's answer")
    assert_never(theirs, *PATIENT_ONLY_WORDS, "your answers", "you answered")


def test_history_when_empty(both):
    mine, theirs = both(HISTORY)

    assert_says(mine, "No check-ins yet. Do today's check-in")
    assert_says(theirs, "No check-ins yet. Check in for Alice")


def test_contacts(both):
    mine, theirs = both(CONTACTS)

    assert_says(mine, "Your care team: Immunotherapy Unit", "Show my card to print")
    assert_says(mine, "who treats you that you are on immunotherapy")
    assert_says(theirs, "Alice's care team: Immunotherapy Unit", "Show Alice's card to print")
    assert_says(theirs, "pharmacist who treats Alice knows about the immunotherapy")
    assert_says(theirs, "Alice should not start new medicines")
    assert_never(theirs, *PATIENT_ONLY_WORDS, "Show my card", "Your care team")


def test_the_printable_card(both):
    mine, theirs = both(CONTACTS, card="1")

    assert_says(mine, "My care team card", "This is your care team card")
    assert_says(theirs, "Alice's care team card", "This is Alice's care team card")
    # The card itself speaks for the patient, whoever prints it.
    for page in (mine, theirs):
        assert_says(page, "My immunotherapy care team card", "I am on immunotherapy")


def test_the_carers_note_on_the_check_in_says_whom_the_questions_mean(both):
    _mine, theirs = both(CHECK_IN)

    assert_says(theirs, 'where a question says "you", it means Alice')
