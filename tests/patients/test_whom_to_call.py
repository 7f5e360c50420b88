"""Whom to call first (issue 13, item 6): one sentence and one number for now, tonight,
the weekend and an emergency, from the same routing as the team's alerts."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from alerts.management.commands.seed_demo import CONTACTS
from clinical.urgency import AMBER, RED
from patients.models import Contact, ContactHours
from patients.services.advice import note_beyond_hours, route_for, whom_to_call

from ..conftest import login
from ..factories import BaselineFactory, CareTeamFactory, PatientFactory, UserFactory

# London is on GMT in late November: these are wall-clock times there too.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TUESDAY_NIGHT = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)

NURSE = "Immunotherapy nurse specialist on 020 7946 0101"
LINE = "Acute oncology 24-hour line on 020 7946 0999"
EMERGENCY = "In an emergency (chest pain, severe breathlessness, collapse), call 999."


def demo_contacts(team):
    """The demo's contact list (seed_demo), its free-text "when to call" included."""
    for spec in CONTACTS:
        spec = dict(spec)
        hours = spec.pop("hours", [])
        contact = Contact.objects.create(team=team, **spec)
        for days, start, end in hours:
            ContactHours.objects.create(contact=contact, days=days, start=start, end=end)


@pytest.fixture
def alice(db):
    team = CareTeamFactory(name="Immunotherapy Unit", time_zone="Europe/London")
    demo_contacts(team)
    patient = PatientFactory(care_team=team, user=UserFactory(username="alice"))
    BaselineFactory(patient=patient)
    return patient


def sentences(patient, now, **options):
    return [call.sentence for call in whom_to_call(patient, now=now, **options)]


def test_on_a_weekday_morning_the_nurse_answers_now_and_the_line_tonight_and_at_the_weekend(
    alice,
):
    assert sentences(alice, TUESDAY_MORNING) == [
        f"Now, call {NURSE}.",
        f"Tonight, call {LINE}.",
        f"At the weekend, call {LINE}.",
        EMERGENCY,
    ]


def test_on_a_weekday_night_the_line_answers_now(alice):
    assert sentences(alice, TUESDAY_NIGHT) == [
        f"Now, call {LINE}.",
        f"Tonight, call {LINE}.",
        f"At the weekend, call {LINE}.",
        EMERGENCY,
    ]


def test_at_the_weekend_the_line_answers_and_the_card_still_names_the_weekday_nurse(alice):
    assert sentences(alice, SATURDAY) == [
        f"Now, call {LINE}.",
        f"Tonight, call {LINE}.",
        f"At the weekend, call {LINE}.",
        EMERGENCY,
    ]
    # A printed card outlives "now": it says whom to ring on a weekday instead.
    assert sentences(alice, SATURDAY, printed=True)[0] == f"On weekdays in the day, call {NURSE}."


@pytest.mark.parametrize("now", [TUESDAY_MORNING, TUESDAY_NIGHT, SATURDAY])
def test_each_sentence_names_whom_routing_alerts_at_that_moment(alice, now):
    calls = [c for c in whom_to_call(alice, now=now) if c.situation != "emergency"]

    assert [c.situation for c in calls] == ["now", "tonight", "weekend"]
    for call in calls:
        routed = route_for(alice, AMBER, call.at)
        assert routed.deliver_at == call.at  # on duty then: nobody is told to ring a closed line
        assert Contact.objects.get(pk=routed.contact.ref).phone == call.phone


def test_tonight_is_22_00_and_the_weekend_is_saturday_11_00_on_the_teams_clock(alice):
    alice.care_team.time_zone = "Australia/Sydney"
    alice.care_team.save()

    at = {c.situation: c.at for c in whom_to_call(alice, now=TUESDAY_MORNING)}

    # 10:00 UTC on Tuesday is 21:00 in Sydney, still Tuesday there.
    assert at["tonight"].isoformat() == "2026-11-24T22:00:00+11:00"
    assert at["weekend"].isoformat() == "2026-11-28T11:00:00+11:00"


def test_when_amber_would_wait_for_the_morning_the_red_line_on_duty_is_named(alice):
    # Only the weekday nurse takes amber: at night amber waits for her hours, so the
    # patient is given the 24/7 registrar, who is on duty, and not a closed number.
    alice.care_team.contacts.filter(order=2).delete()

    calls = {c.situation: c for c in whom_to_call(alice, now=TUESDAY_NIGHT)}

    assert route_for(alice, AMBER, TUESDAY_NIGHT).deliver_at > TUESDAY_NIGHT
    assert calls["now"].sentence == "Now, call On-call oncology registrar on 020 7946 0300."
    red = route_for(alice, RED, TUESDAY_NIGHT)
    assert Contact.objects.get(pk=red.contact.ref).phone == calls["now"].phone


@pytest.mark.parametrize(
    "when_to_call, shown",
    [
        ("Weekdays 9am to 5pm.", ""),
        ("Any time, day or night, including weekends.", ""),
        ("weekdays, in clinic hours", ""),
        ("Mon-Fri 09:00-17:00", ""),
        (
            "Reached through the 24-hour line if it cannot take your call.",
            "Reached through the 24-hour line if it cannot take your call.",
        ),
        ("Ask for the chemotherapy nurse.", "Ask for the chemotherapy nurse."),
    ],
)
def test_a_when_to_call_that_only_repeats_hours_is_not_shown(when_to_call, shown):
    assert note_beyond_hours(when_to_call) == shown


def test_the_contacts_page_leads_with_the_sentences_and_says_each_contacts_hours_once(
    client, alice
):
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        text = login(client, alice.user).get(reverse("patients:contacts")).text

    first = text.index("Whom to call first")
    assert first < text.index("Now</strong>, call Immunotherapy nurse specialist")
    assert text.index("At the weekend</strong>, call Acute") < text.index("contact-card")
    assert "Weekdays 9am to 5pm" not in text and "Any time, day or night" not in text
    assert text.count("Available Monday to Friday, 09:00\u201317:00.") == 1
    # The registrar, on duty all day every day, says when a patient calls them at all.
    assert "Only if the 24-hour line does not answer: it puts you through." in text
    assert "Reached through the 24-hour line" not in text


def test_in_american_english_the_weekend_is_on_the_weekend(alice):
    from django.utils import translation

    with translation.override("en-us"):
        said = sentences(alice, TUESDAY_MORNING)

    assert f"On the weekend, call {LINE}." in said
    assert not any("At the weekend" in sentence for sentence in said)
