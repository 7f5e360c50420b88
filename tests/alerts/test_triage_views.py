"""The care team's pages: the triage queue, a flag, acknowledging and resolving, a patient."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from alerts.models import Alert
from alerts.services import flagging, triage
from patients.models import Action, Flag

from ..factories import PatientFactory, UserFactory, escalates, make_check_in, statuses

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # in hours in London
QUEUE = reverse("alerts:queue")


@pytest.fixture
def carol(team):
    """A second patient of the team, with no treatment or baseline recorded."""
    return PatientFactory(
        care_team=team, user=UserFactory(username="carol", first_name="Carol", last_name="Reyes")
    )


def flagged(patient, at, **answers) -> Flag:
    """A check-in at `at` run through the worker: its one flag."""
    check_in = make_check_in(patient, at=at, **answers)
    flagging.flag_check_in(check_in.pk, now=at)
    return Flag.objects.get(check_in=check_in)


def queue_rows(response) -> list[Flag]:
    return [flag for flag, _item, _treatment in response.context["rows"]]


@pytest.fixture
def red_flag(patient):
    return flagged(patient, TUESDAY_10, stools_per_day=9, fatigue=1, temperature_c="37.0")


# The queue


def test_the_queue_shows_the_teams_open_and_acknowledged_flags_most_urgent_and_oldest_first(
    nurse_client, nurse, patient, carol, other_patient
):
    resolved = flagged(patient, TUESDAY_10 - timedelta(hours=4), dizziness=3)
    triage.resolve_flag(resolved, nurse, note="Seen in clinic")
    amber = flagged(patient, TUESDAY_10 - timedelta(hours=3), stools_per_day=3)
    older_red = flagged(patient, TUESDAY_10 - timedelta(hours=2), headache=3)
    triage.acknowledge_flag(older_red, nurse)
    emergency = flagged(carol, TUESDAY_10 - timedelta(hours=1), chest_pain=True)
    newer_red = flagged(patient, TUESDAY_10 - timedelta(minutes=30), stools_per_day=9)
    flagged(other_patient, TUESDAY_10 - timedelta(hours=5), stools_per_day=9)

    response = nurse_client.get(QUEUE)

    assert response.context["status"] == "active"
    # One row per episode, through its newest flag: the stools episode opened
    # amber 3 hours ago and was raised to red, so it is the oldest red.
    assert queue_rows(response) == [emergency, newer_red, older_red]
    assert amber.episode == newer_red.episode
    assert "Acknowledged" in response.text
    assert "Bob Okafor" not in response.text


def test_a_queue_row_shows_the_patient_symptom_finding_and_treatment(nurse_client, red_flag):
    response = nurse_client.get(QUEUE)

    row = response.text
    assert "Alice Morgan" in row and red_flag.check_in.patient.hospital_number in row
    assert reverse("alerts:patient", args=[red_flag.check_in.patient_id]) in row
    assert f'<a href="{reverse("alerts:flag", args=[red_flag.pk])}">Stools</a>' in row
    assert "bowel (colitis)" in row
    assert "stools 9/day vs baseline 1/day: +8 over baseline (grade 2-3)" in row
    assert "Checkpoint inhibitor: pembrolizumab" in row
    assert "<dt>Status</dt><dd>Active</dd>" in row
    assert "Red: urgent" in row


def test_the_queue_says_so_when_nothing_is_waiting(nurse_client, patient):
    response = nurse_client.get(QUEUE)

    assert response.context["rows"] == []
    assert "no open flags for your teams" in response.text


def test_the_resolved_tab_shows_only_resolved_flags(nurse_client, nurse, patient):
    done = flagged(patient, TUESDAY_10 - timedelta(hours=1), headache=3)
    triage.resolve_flag(done, nurse, note="Phoned; headache settled")
    still_open = flagged(patient, TUESDAY_10, stools_per_day=9)

    resolved = nurse_client.get(QUEUE + "?status=resolved")
    active = nurse_client.get(QUEUE)

    assert resolved.context["status"] == "resolved"
    assert queue_rows(resolved) == [done]
    assert queue_rows(active) == [still_open]


# A flag


def test_the_flag_page_shows_the_answers_against_the_baseline(nurse_client, red_flag):
    response = nurse_client.get(reverse("alerts:flag", args=[red_flag.pk]))

    text = response.text
    assert response.status_code == 200
    # The flagged row is marked in words, not by its colour alone.
    assert (
        '<tr class="table-warning fw-semibold"><td>Stools <span class="badge text-bg-warning'
        ' border border-dark">this flag</span></td><td>9/day</td><td>1/day</td></tr>'
    ) in text
    assert text.count("this flag</span>") == 1
    assert "<tr><td>Fatigue</td><td>1 (mild)</td><td>1 (mild)</td></tr>" in text
    assert "<tr><td>Temperature</td><td>37.0 °C</td><td>—</td></tr>" in text
    assert "stools 9/day vs baseline 1/day" in text
    assert "Status: Open" in text


def test_the_flag_page_shows_the_alert_and_its_notifications(nurse_client, red_flag):
    response = nurse_client.get(reverse("alerts:flag", args=[red_flag.pk]))

    text = response.text
    assert "Red alert routed to Immunotherapy nurse specialist" in text
    assert "Email to Immunotherapy nurse specialist (cns@example.org): queued" in text
    assert "SMS to Immunotherapy nurse specialist (+447700900101): queued" in text
    assert "Checkpoint inhibitor: pembrolizumab" in text


def test_acknowledging_sets_the_status_and_stops_escalation(nurse_client, nurse, red_flag):
    url = reverse("alerts:acknowledge", args=[red_flag.pk])

    response = nurse_client.post(url, {"seen": red_flag.pk}, follow=True)

    red_flag.refresh_from_db()
    assert red_flag.status == "acknowledged" and red_flag.acknowledged_by == nurse
    assert red_flag.acknowledged_at is not None
    alert = Alert.objects.get(check_in=red_flag.check_in)
    assert not escalates(alert) and alert.acknowledged_by == nurse
    assert response.redirect_chain == [(reverse("alerts:flag", args=[red_flag.pk]), 302)]
    assert "Acknowledged: escalation has stopped for this episode." in response.text
    assert "Status: Acknowledged" in response.text

    again = nurse_client.post(url, {"seen": red_flag.pk}, follow=True)
    assert "This flag was already acknowledged." in again.text


def test_resolving_without_a_note_is_refused_and_changes_nothing(nurse_client, red_flag):
    response = nurse_client.post(
        reverse("alerts:resolve", args=[red_flag.pk]), {"note": "", "seen": red_flag.pk}
    )

    assert response.status_code == 400
    assert response.context["resolve_form"].errors["note"] == ["This field is required."]
    error = re.search(
        r'<div id="id_note_error" class="invalid-feedback">(.*?)</div>', response.text, re.S
    )
    assert error and "This field is required." in error.group(1)
    red_flag.refresh_from_db()
    assert red_flag.status == "open" and red_flag.resolution_note == ""
    assert red_flag.acknowledged_at is None and red_flag.resolved_at is None
    assert escalates(Alert.objects.get(check_in=red_flag.check_in))


def test_resolving_is_refused_when_a_check_in_joined_the_episode_after_the_page_was_drawn(
    nurse_client, patient, red_flag
):
    url = reverse("alerts:resolve", args=[red_flag.pk])
    page = nurse_client.get(reverse("alerts:flag", args=[red_flag.pk]))
    assert page.context["newest"] == red_flag.pk
    assert page.text.count(f'<input type="hidden" name="seen" value="{red_flag.pk}">') == 3
    later = flagged(patient, TUESDAY_10 + timedelta(hours=1), stools_per_day=12)
    assert later.episode_id == red_flag.episode_id

    response = nurse_client.post(url, {"note": "Phoned her", "seen": red_flag.pk})

    assert response.status_code == 409
    assert (
        "Not resolved: 1 new check-in joined this episode after you opened the page "
        "(Tue 24 Nov 11:00, red). Read the episode below, then resolve again."
    ) in response.text
    assert response.context["resolve_form"]["note"].value() == "Phoned her"  # kept
    assert response.context["newest"] == later.pk
    # The older flag's page points to the newer check-in, now and from then on.
    assert f'A later check-in joined this episode: <a href="/triage/flags/{later.pk}/">' in (
        nurse_client.get(reverse("alerts:flag", args=[red_flag.pk])).text
    )
    assert (
        "A later check-in joined"
        not in nurse_client.get(reverse("alerts:flag", args=[later.pk])).text
    )
    for flag in (red_flag, later):
        flag.refresh_from_db()
        assert flag.status == "open" and flag.resolved_at is None and flag.acknowledged_at is None

    # Having read it, the nurse resolves the episode: both flags close.
    again = nurse_client.post(url, {"note": "Phoned her", "seen": later.pk})

    assert again.status_code == 302
    assert statuses(Flag.objects.filter(pk__in=[red_flag.pk, later.pk])) == {"resolved"}


def test_acknowledging_or_acting_is_refused_when_a_worse_check_in_raised_the_episode(
    nurse_client, patient
):
    """An amber episode on screen; a red check-in raises it (a new alert that
    escalates) before the nurse taps: neither tap may silence what she has not read."""
    amber = flagged(patient, TUESDAY_10, stools_per_day=3)
    red = flagged(patient, TUESDAY_10 + timedelta(minutes=30), stools_per_day=9)
    assert red.episode_id == amber.episode_id and red.alerted

    acknowledging = nurse_client.post(
        reverse("alerts:acknowledge", args=[amber.pk]), {"seen": amber.pk}
    )
    acting = nurse_client.post(
        reverse("alerts:action", args=[amber.pk]),
        {"kind": "phoned", "note": "Advised fluids", "seen": amber.pk},
    )

    assert acknowledging.status_code == acting.status_code == 409
    assert "Not acknowledged: 1 new check-in joined this episode" in acknowledging.text
    assert "(Tue 24 Nov 10:30, red). Read the episode below, then acknowledge again." in (
        acknowledging.text
    )
    assert "Not recorded: 1 new check-in joined this episode" in acting.text
    assert acting.context["action_form"]["note"].value() == "Advised fluids"
    assert not Action.objects.exists()
    assert statuses(Flag.objects.all()) == {"open"}
    assert escalates(Alert.objects.get(check_in=red.check_in))

    done = nurse_client.post(reverse("alerts:acknowledge", args=[amber.pk]), {"seen": red.pk})

    assert done.status_code == 302
    assert statuses(Flag.objects.all()) == {"acknowledged"}
    assert not escalates(Alert.objects.get(check_in=red.check_in))


@pytest.mark.parametrize(
    ("action", "data", "verb"),
    [
        ("acknowledge", {}, "acknowledge"),
        ("action", {"kind": "phoned"}, "record"),
        ("resolve", {"note": "Done"}, "resolve"),
    ],
)
@pytest.mark.parametrize("seen", [None, "", "abc", "-1"])
def test_an_action_without_the_episode_mark_is_refused_with_a_message(
    nurse_client, red_flag, action, data, verb, seen
):
    posted = data if seen is None else {**data, "seen": seen}

    response = nurse_client.post(reverse(f"alerts:{action}", args=[red_flag.pk]), posted)

    assert response.status_code == 400
    assert f"This page is out of date: reload it, read the episode, then {verb}." in response.text
    red_flag.refresh_from_db()
    assert red_flag.status == "open" and not Action.objects.exists()


def test_resolving_with_a_note_closes_the_flag(nurse_client, nurse, red_flag):
    response = nurse_client.post(
        reverse("alerts:resolve", args=[red_flag.pk]),
        {"note": "Phoned; attending the assessment unit", "seen": red_flag.pk},
        follow=True,
    )

    red_flag.refresh_from_db()
    assert red_flag.status == "resolved" and red_flag.resolved_by == nurse
    assert red_flag.resolution_note == "Phoned; attending the assessment unit"
    assert not escalates(Alert.objects.get(check_in=red_flag.check_in))
    assert response.redirect_chain == [(QUEUE, 302)]
    assert "Resolved." in response.text
    assert queue_rows(response) == []


# A patient


def test_the_patient_page_lists_the_check_ins_with_their_flags(nurse_client, patient, red_flag):
    quiet = make_check_in(patient, at=TUESDAY_10 - timedelta(days=1), fatigue=1)
    flagging.flag_check_in(quiet.pk, now=quiet.submitted_at)

    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        response = nurse_client.get(reverse("alerts:patient", args=[patient.pk]))

    text = response.text
    assert list(response.context["check_ins"]) == [red_flag.check_in, quiet]
    assert "Alice Morgan" in text and "pembrolizumab" in text
    assert f'<a href="{reverse("alerts:flag", args=[red_flag.pk])}">Red: ' in text
    assert "stools 9/day vs baseline 1/day" in text
    assert "(open)" in text
    assert "Stools: 1/day" in text  # the baseline
    assert "Fatigue: 1 (mild)" in text
