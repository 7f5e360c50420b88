"""patients/migrations/0010-0012 and alerts/migrations/0010: acknowledgement moves to the
episode, and nothing is lost.

Rows are written as the code before them wrote them (acknowledgement and resolution
on the episode, each flag and each alert), the migrations run, and every flag and
alert reads from its episode what it held before; backwards, the old fields come back
as they were.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alerts.models import Alert
from patients.models import Acknowledgement, Episode, Flag

BEFORE = [
    ("patients", "0009_tables_renamed"),
    ("alerts", "0009_care_teams_and_episodes_moved_to_patients"),
]
AFTER = None  # the latest of every app: the database every other test expects
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


class Before:
    """Rows as the code before the migration wrote them, through its historical models."""

    def __init__(self, apps):
        self.apps = apps
        model = apps.get_model
        User = model("auth", "User")
        self.nurse = User.objects.create(username="nurse-before")
        self.other_nurse = User.objects.create(username="other-nurse-before")
        team = model("patients", "CareTeam").objects.create(name="Team before")
        contact = model("patients", "Contact").objects.create(
            team=team, name="Line", phone="1", order=1, handles_red=True, always_on_duty=True
        )
        patient = model("patients", "Patient").objects.create(
            user=User.objects.create(username="patient-before"),
            care_team=team,
            hospital_number="HB1",
        )
        self.patient, self.contact = patient, contact

    def check_in(self, at):
        return self.apps.get_model("patients", "CheckIn").objects.create(
            patient=self.patient, submitted_at=at, local_date=at.date(), evaluated_at=at
        )

    def episode(self, symptom, **fields):
        return self.apps.get_model("patients", "Episode").objects.create(
            patient=self.patient, symptom=symptom, urgency="red", **fields
        )

    def flag(self, check_in, symptom, episode, **fields):
        return self.apps.get_model("patients", "Flag").objects.create(
            check_in=check_in,
            episode=episode,
            symptom=symptom,
            urgency="red",
            rule="R2",
            explanation="worse",
            created_at=check_in.submitted_at,
            **fields,
        )

    def alert(self, check_in, **fields):
        return self.apps.get_model("alerts", "Alert").objects.create(
            check_in=check_in,
            urgency="red",
            contact=self.contact,
            routing_reason="red",
            created_at=check_in.submitted_at,
            **fields,
        )


def old_state(flag) -> tuple:
    """What a flag held of its state before the migration."""
    return (
        flag.status,
        flag.acknowledged_at,
        flag.acknowledged_by_id,
        flag.resolved_at,
        flag.resolved_by_id,
        flag.resolution_note,
    )


@pytest.fixture
def history(transactional_db):
    """Four stories, written before the migration:

    - stools: opened (alert), acknowledged at +5 by the nurse, a check-in joined it
      at +60 (acknowledged, as it joined an acknowledged episode, with no moment of
      its own), then a worse one at +120 raised it (open again, its own alert not
      yet answered; the joined flag stays acknowledged);
    - rash: opened (alert) at +2, resolved at +30 by the other nurse, acknowledging
      it first, with a note on its flag;
    - headache and nausea on one check-in (one alert, R15): headache acknowledged at
      +10, nausea at +20, when the alert was answered;
    - cough: a flag made without an episode, acknowledged at +40.
    """
    apps = migrate(BEFORE)
    old = Before(apps)
    nurse, other = old.nurse, old.other_nurse
    ack = {"status": "acknowledged", "acknowledged_by": nurse}

    first = old.check_in(minutes(0))
    stools = old.episode("stools_per_day", status="open", opened_at=minutes(0))
    s1 = old.flag(first, "stools_per_day", stools, **ack, acknowledged_at=minutes(5))
    a1 = old.alert(first, acknowledged_at=minutes(5), acknowledged_by=nurse)
    joined = old.check_in(minutes(60))
    s2 = old.flag(joined, "stools_per_day", stools, alerted=False, status="acknowledged")
    worse = old.check_in(minutes(120))
    s3 = old.flag(worse, "stools_per_day", stools)
    a2 = old.alert(worse, escalate_at=minutes(135))

    itchy = old.check_in(minutes(2))
    rash = old.episode(
        "rash", status="resolved", opened_at=minutes(0), acknowledged_at=minutes(30),
        acknowledged_by=other, resolved_at=minutes(30), resolved_by=other,
    )  # fmt: skip
    r1 = old.flag(
        itchy, "rash", rash, status="resolved", acknowledged_at=minutes(30),
        acknowledged_by=other, resolved_at=minutes(30), resolved_by=other,
        resolution_note="Antihistamine advised",
    )  # fmt: skip
    a4 = old.alert(itchy, acknowledged_at=minutes(30), acknowledged_by=other)

    both = old.check_in(minutes(1))
    headache = old.episode(
        "headache", status="acknowledged", opened_at=minutes(1),
        acknowledged_at=minutes(10), acknowledged_by=nurse,
    )  # fmt: skip
    nausea = old.episode(
        "nausea", status="acknowledged", opened_at=minutes(1),
        acknowledged_at=minutes(20), acknowledged_by=other,
    )  # fmt: skip
    h1 = old.flag(both, "headache", headache, **ack, acknowledged_at=minutes(10))
    n1 = old.flag(both, "nausea", nausea, status="acknowledged", acknowledged_at=minutes(20),
                  acknowledged_by=other)  # fmt: skip
    a3 = old.alert(both, acknowledged_at=minutes(20), acknowledged_by=other)

    lone = old.flag(old.check_in(minutes(39)), "cough", None, **ack, acknowledged_at=minutes(40))

    flags = {"s1": s1, "s2": s2, "s3": s3, "r1": r1, "h1": h1, "n1": n1, "lone": lone}
    alerts = {"a1": a1, "a2": a2, "a3": a3, "a4": a4}
    before = {
        "flags": {name: old_state(f) for name, f in flags.items()},
        "alerts": {name: (a.acknowledged_at, a.acknowledged_by_id) for name, a in alerts.items()},
        "ids": {name: row.pk for name, row in {**flags, **alerts}.items()},
        "users": {"nurse": nurse.pk, "other": other.pk},
    }
    try:
        yield before
    finally:
        migrate(AFTER)  # the database as every other test expects it


def test_every_flag_and_alert_reads_from_its_episode_what_it_held(history):
    migrate(AFTER)
    ids = history["ids"]
    for name, (status, acknowledged_at, by, resolved_at, resolved_by, note) in history[
        "flags"
    ].items():
        flag = Flag.objects.select_related("episode").get(pk=ids[name])
        assert flag.status == status, name
        assert flag.acknowledged_at == acknowledged_at, name
        assert (flag.acknowledged_by.pk if flag.acknowledged_by else None) == by, name
        assert (flag.resolved_at, flag.resolved_by.pk if flag.resolved_by else None) == (
            resolved_at,
            resolved_by,
        ), name
        assert flag.resolution_note == note, name
    for name, (acknowledged_at, by) in history["alerts"].items():
        alert = Alert.objects.get(pk=ids[name])
        assert alert.acknowledged_at == acknowledged_at, name
        assert (alert.acknowledged_by.pk if alert.acknowledged_by else None) == by, name
        assert Alert.objects.unanswered().filter(pk=alert.pk).exists() == (by is None), name


def test_every_acknowledgement_on_record_is_a_row_and_the_lone_flag_has_an_episode(history):
    migrate(AFTER)
    users = history["users"]
    rows = {
        (a.episode.symptom, a.at, a.by_id)
        for a in Acknowledgement.objects.select_related("episode")
    }
    assert rows == {
        ("stools_per_day", minutes(5), users["nurse"]),
        ("rash", minutes(30), users["other"]),
        ("headache", minutes(10), users["nurse"]),
        ("nausea", minutes(20), users["other"]),
        ("cough", minutes(40), users["nurse"]),
    }
    lone = Flag.objects.get(pk=history["ids"]["lone"])
    assert (lone.episode.symptom, lone.episode.status) == ("cough", "acknowledged")
    assert Episode.objects.get(symptom="rash").resolution_note == "Antihistamine advised"
    assert Episode.objects.get(symptom="stools_per_day").status == "open"  # raised again


def test_backwards_the_old_fields_come_back_as_they_were(history):
    migrate(AFTER)
    apps = migrate(BEFORE)
    Flag_, Alert_ = apps.get_model("patients", "Flag"), apps.get_model("alerts", "Alert")
    ids = history["ids"]
    for name, was in history["flags"].items():
        assert old_state(Flag_.objects.get(pk=ids[name])) == was, name
    for name, was in history["alerts"].items():
        a = Alert_.objects.get(pk=ids[name])
        assert (a.acknowledged_at, a.acknowledged_by_id) == was, name


def test_every_episode_knows_its_newest_flag_and_number_of_flags(history):
    """patients/migrations/0015: the queue's row, filled in for the episodes on record."""
    migrate(AFTER)
    ids = history["ids"]
    stools = Flag.objects.get(pk=ids["s1"]).episode
    assert (stools.latest_flag_id, stools.flag_count) == (ids["s3"], 3)
    for name in ("r1", "h1", "n1", "lone"):
        episode = Flag.objects.get(pk=ids[name]).episode
        assert (episode.latest_flag_id, episode.flag_count) == (ids[name], 1), name
    assert not Episode.objects.filter(latest_flag__isnull=True).exists()


def test_every_episode_keeps_its_patients_team(history):
    """patients/migrations/0019: each episode's team, filled in from its patient's."""
    migrate(AFTER)
    assert Episode.objects.exists()
    for episode in Episode.objects.select_related("patient"):
        assert episode.care_team_id == episode.patient.care_team_id
