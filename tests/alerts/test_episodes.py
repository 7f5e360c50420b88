"""Episodes, not repeats: one open episode per patient and symptom."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse

from alerts.models import Alert
from alerts.services import flagging, triage
from patients.models import Episode, Flag

from ..factories import escalates, make_check_in, make_flag, statuses

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def check_in(patient, day, **answers):
    at = MONDAY_10 + timedelta(days=day)
    made = make_check_in(patient, at=at, **answers)
    flagging.flag_check_in(made.pk, now=at)
    return made


def test_a_first_flag_opens_an_episode_and_alerts(patient):
    first = check_in(patient, 0, itching=3)

    episode = Episode.objects.get()
    assert (episode.symptom, episode.urgency, episode.status) == ("itching", "amber", "open")
    assert first.flags.get().episode == episode
    assert Alert.objects.filter(check_in=first).exists()


def test_the_same_symptom_at_the_same_urgency_joins_the_episode_and_alerts_nobody(patient):
    check_in(patient, 0, itching=3)
    later = check_in(patient, 2, itching=3)  # not persistence: a day's gap

    assert Episode.objects.count() == 1
    flag = later.flags.get()
    assert flag.episode == Episode.objects.get() and flag.alerted is False
    assert not Alert.objects.filter(check_in=later).exists()
    assert Alert.objects.count() == 1


def test_a_lower_urgency_joins_too(patient):
    check_in(patient, 0, stools_per_day=9)  # red
    later = check_in(patient, 1, stools_per_day=3)  # amber

    assert not Alert.objects.filter(check_in=later).exists()
    assert Episode.objects.get().urgency == "red"


def test_a_higher_urgency_raises_the_episode_and_alerts_again(patient, nurse):
    first = check_in(patient, 0, stools_per_day=3)  # amber
    triage.acknowledge_flag(first.flags.get(), nurse, now=MONDAY_10 + timedelta(minutes=5))
    worse = check_in(patient, 1, stools_per_day=9)  # red

    episode = Episode.objects.get()
    assert (episode.urgency, episode.status) == ("red", "open")
    assert episode.acknowledged_at is None
    alert = Alert.objects.get(check_in=worse)
    assert alert.urgency == "red" and worse.flags.get().alerted is True


def test_a_joining_flag_takes_the_episodes_status(patient, nurse):
    first = check_in(patient, 0, itching=3)
    triage.acknowledge_flag(first.flags.get(), nurse)
    later = check_in(patient, 2, itching=3)

    assert later.flags.get().status == "acknowledged"


def test_acknowledging_any_flag_acknowledges_its_episode_and_stops_every_alert_in_it(
    patient, nurse
):
    first = check_in(patient, 0, stools_per_day=3)
    worse = check_in(patient, 1, stools_per_day=9)

    triage.acknowledge_flag(first.flags.get(), nurse)

    assert Episode.objects.get().status == "acknowledged"
    assert statuses(Flag.objects.all()) == {"acknowledged"}
    assert all(a.acknowledged_by == nurse and not escalates(a) for a in Alert.objects.all())
    assert Alert.objects.filter(check_in=worse).exists()


def test_resolving_closes_the_episode_and_the_next_flag_opens_a_new_one(patient, nurse):
    first = check_in(patient, 0, itching=3)
    second = check_in(patient, 2, itching=3)

    triage.resolve_flag(second.flags.get(), nurse, note="Antihistamine advised by the team")

    closed = Episode.objects.get()
    assert closed.status == "resolved" and closed.resolved_by == nurse
    assert statuses(Flag.objects.all()) == {"resolved"}
    assert first.flags.get().resolution_note == "Antihistamine advised by the team"
    again = check_in(patient, 5, itching=3)
    assert Episode.objects.count() == 2
    assert again.flags.get().episode != closed and Alert.objects.filter(check_in=again).exists()


def test_different_symptoms_have_different_episodes(patient):
    made = check_in(patient, 0, itching=3, headache=1)

    assert Episode.objects.count() == 2
    assert Alert.objects.get(check_in=made).urgency == "red"  # R15: two ambers


def test_a_check_in_that_joins_one_episode_and_opens_another_alerts_for_the_new_one(patient):
    check_in(patient, 0, stools_per_day=9)  # red episode
    mixed = check_in(patient, 1, stools_per_day=9, dark_urine=True)  # joins; new amber

    alert = Alert.objects.get(check_in=mixed)
    assert alert.urgency == "amber"
    assert {f.symptom: f.alerted for f in mixed.flags.all()} == {
        "stools_per_day": False,
        "dark_urine": True,
    }


def test_the_database_allows_one_open_episode_per_symptom(patient):
    Episode.objects.create(patient=patient, symptom="rash", urgency="amber")
    Episode.objects.create(patient=patient, symptom="rash", urgency="amber", status="resolved")

    with pytest.raises(IntegrityError):
        Episode.objects.create(patient=patient, symptom="rash", urgency="red")


def test_the_queue_shows_an_episode_once_with_its_check_ins_counted(nurse_client, patient):
    check_in(patient, 0, itching=3)
    latest = check_in(patient, 2, itching=3)

    response = nurse_client.get(reverse("alerts:queue"))

    rows = [flag for flag, _item, _treatment in response.context["rows"]]
    assert rows == [latest.flags.get()]
    assert "Episode of 2 check-ins since 23 Nov; latest shown" in response.text


def test_acknowledging_one_episode_does_not_silence_another_episodes_alert(patient, nurse):
    first = check_in(patient, 0, itching=3)
    triage.acknowledge_flag(first.flags.get(), nurse)
    mixed = check_in(patient, 2, itching=3, stools_per_day=9)  # joins itching; new red
    alert = Alert.objects.get(check_in=mixed)

    triage.acknowledge_flag(mixed.flags.get(symptom="itching"), nurse)

    alert.refresh_from_db()
    assert alert.acknowledged_at is None and escalates(alert)
    triage.acknowledge_flag(mixed.flags.get(symptom="stools_per_day"), nurse)
    alert.refresh_from_db()
    assert alert.acknowledged_by == nurse and not escalates(alert)


def test_acknowledging_and_resolving_one_patients_episode_leaves_anothers_alone(
    patient, other_patient, nurse
):
    """Each flag has its episode (patients/migrations/0011 gave one to any flag made
    without): acting on one never drags along another patient's flag of the symptom."""
    mine = make_flag(make_check_in(patient, at=MONDAY_10), "stools_per_day", "red")
    theirs = make_flag(make_check_in(other_patient, at=MONDAY_10), "stools_per_day", "red")

    assert triage.acknowledge_flag(mine, nurse, now=MONDAY_10)
    assert triage.resolve_flag(mine, nurse, note="phoned", now=MONDAY_10)

    mine = Flag.objects.select_related("episode").get(pk=mine.pk)
    theirs = Flag.objects.select_related("episode").get(pk=theirs.pk)
    assert (mine.status, mine.resolution_note) == ("resolved", "phoned")
    assert (theirs.status, theirs.acknowledged_by, theirs.resolution_note) == ("open", None, "")


def test_a_check_in_that_joined_an_acknowledged_episode_stays_seen_when_it_is_raised(
    patient, nurse
):
    first = check_in(patient, 0, stools_per_day=3)  # amber: opens, alerts
    triage.acknowledge_flag(first.flags.get(), nurse, now=MONDAY_10 + timedelta(minutes=5))
    joined = check_in(patient, 1, stools_per_day=3)  # joins the acknowledged episode
    worse = check_in(patient, 2, stools_per_day=9)  # red: raises it, open again

    def state(made):
        flag = made.flags.get()
        listed = Flag.objects.with_seen().select_related("episode").get(pk=flag.pk)
        unseen = Flag.objects.unseen().filter(pk=flag.pk).exists()
        assert listed.status == flag.status and unseen == (flag.status == "open")
        return flag.status

    assert Episode.objects.get().status == "open"
    assert [state(c) for c in (first, joined, worse)] == ["acknowledged", "acknowledged", "open"]
    assert escalates(Alert.objects.get(check_in=worse))
    assert not escalates(Alert.objects.get(check_in=first))


def test_an_acknowledgement_covers_the_flags_the_episode_had_whatever_the_clocks_say(
    patient, nurse
):
    """A worker whose clock is behind (or that read the time before waiting on the
    episode's lock) adds a worse flag dated before the nurse's acknowledgement: it is
    not seen, it raises the episode, and its alert goes out and escalates."""
    first = check_in(patient, 0, stools_per_day=3)
    triage.acknowledge_flag(first.flags.get(), nurse, now=MONDAY_10 + timedelta(hours=2))
    worse = make_check_in(patient, at=MONDAY_10 + timedelta(hours=1), stools_per_day=9)

    flagging.flag_check_in(worse.pk, now=MONDAY_10 + timedelta(hours=1))  # before the ack

    flag = worse.flags.get()
    assert (flag.status, flag.acknowledged_at) == ("open", None)
    assert Episode.objects.get().status == "open"
    assert escalates(Alert.objects.get(check_in=worse))


def test_a_flag_read_again_reads_its_state_again(patient, nurse):
    made = check_in(patient, 0, stools_per_day=9)
    flag = made.flags.get()
    assert (flag.status, flag.acknowledged_by) == ("open", None)

    triage.acknowledge_flag(flag, nurse)
    flag.refresh_from_db()

    assert (flag.status, flag.acknowledged_by) == ("acknowledged", nurse)
