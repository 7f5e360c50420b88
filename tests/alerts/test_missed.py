"""Missed check-ins (REFERENCE.md R16): who has gone 3 days without one, for the in-hours team."""

from datetime import UTC, date, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.selectors import missed_check_ins

from ..conftest import login
from ..factories import PatientFactory, TreatmentFactory, UserFactory, make_check_in

TODAY = date(2026, 11, 24)  # a Tuesday
MISSED = reverse("alerts:missed")


def day(days_ago: int, hour: int = 10) -> datetime:
    """An instant `days_ago` days before TODAY, at `hour` UTC (the same day in London)."""
    at = datetime(TODAY.year, TODAY.month, TODAY.day, hour, tzinfo=UTC)
    return at - timedelta(days=days_ago)


def on_treatment(
    team,
    name: str,
    *,
    status="active",
    last_check_in: int | None = None,
    added: int = 60,
    last_dose: int | None = 10,
    time_zone="Europe/London",
):
    """A patient added `added` days ago whose last check-in was `last_check_in` days ago."""
    first, last = name.split()
    patient = PatientFactory(
        care_team=team,
        user=UserFactory(username=first.lower(), first_name=first, last_name=last),
        created_at=day(added),
        time_zone=time_zone,
    )
    TreatmentFactory(
        patient=patient,
        status=status,
        start_date=TODAY - timedelta(days=max(added, 400)),
        last_dose_date=TODAY - timedelta(days=last_dose) if last_dose is not None else None,
    )
    if last_check_in is not None:
        make_check_in(patient, at=day(last_check_in + 1))
        make_check_in(patient, at=day(last_check_in))
    return patient


def missed(nurse, today=TODAY) -> dict[str, int]:
    return {m.patient.name: m.days for m in missed_check_ins(user=nurse, today=today)}


def test_a_patient_on_treatment_is_listed_after_3_days_without_a_check_in(team, nurse):
    on_treatment(team, "Alice Morgan", last_check_in=3)
    on_treatment(team, "Carol Reyes", last_check_in=2)
    on_treatment(team, "Dev Patel", last_check_in=0)

    assert missed(nurse) == {"Alice Morgan": 3}


def test_the_list_gives_the_last_check_in_and_the_treatment(team, nurse):
    alice = on_treatment(team, "Alice Morgan", last_check_in=5)

    [row] = missed_check_ins(user=nurse, today=TODAY)

    assert row.patient == alice and row.days == 5
    assert row.last_check_in == row.since == TODAY - timedelta(days=5)
    assert row.treatment == alice.treatment and not row.in_follow_up


def test_a_held_treatment_counts_as_on_treatment(team, nurse):
    on_treatment(team, "Alice Morgan", status="held", last_check_in=4)

    assert missed(nurse) == {"Alice Morgan": 4}


def test_a_treatment_finished_or_stopped_within_a_year_counts_as_follow_up(team, nurse):
    on_treatment(team, "Alice Morgan", status="finished", last_dose=200, last_check_in=6)
    on_treatment(team, "Carol Reyes", status="stopped", last_dose=30, last_check_in=7)
    on_treatment(team, "Dev Patel", status="finished", last_dose=365, last_check_in=8)
    on_treatment(team, "Erin Walsh", status="finished", last_dose=366, last_check_in=9)
    on_treatment(team, "Femi Adeyemi", status="stopped", last_dose=500, last_check_in=9)

    rows = missed_check_ins(user=nurse, today=TODAY)

    assert {m.patient.name: m.days for m in rows} == {
        "Alice Morgan": 6,
        "Carol Reyes": 7,
        "Dev Patel": 8,
    }
    assert all(m.in_follow_up for m in rows)


def test_a_finished_treatment_with_no_last_dose_counts_from_its_start(team, nurse):
    recent = on_treatment(team, "Alice Morgan", status="finished", last_dose=None, added=60)
    recent.treatments.update(start_date=TODAY - timedelta(days=100))
    old = on_treatment(team, "Carol Reyes", status="finished", last_dose=None, added=60)
    old.treatments.update(start_date=TODAY - timedelta(days=400))

    assert missed(nurse) == {"Alice Morgan": 60}


def test_the_current_treatment_decides(team, nurse):
    alice = on_treatment(team, "Alice Morgan", status="finished", last_dose=400, last_check_in=5)
    TreatmentFactory(  # an older treatment, left marked active
        patient=alice, status="active", start_date=TODAY - timedelta(days=900)
    )
    carol = on_treatment(team, "Carol Reyes", status="finished", last_dose=400, last_check_in=5)
    TreatmentFactory(patient=carol, status="active", start_date=TODAY - timedelta(days=20))

    assert missed(nurse) == {"Carol Reyes": 5}


def test_a_patient_with_no_treatment_is_not_listed(team, nurse):
    PatientFactory(care_team=team, created_at=day(30))

    assert missed(nurse) == {}


def test_a_patient_who_never_checked_in_is_counted_from_when_they_were_added(team, nurse):
    on_treatment(team, "Alice Morgan", added=4)
    on_treatment(team, "Carol Reyes", added=2)

    [row] = missed_check_ins(user=nurse, today=TODAY)

    assert row.patient.name == "Alice Morgan" and row.days == 4
    assert row.last_check_in is None and row.since == TODAY - timedelta(days=4)


def test_days_are_counted_on_each_patients_own_calendar(team, nurse):
    # 11:00 UTC on the 24th is 01:00 on the 25th on Kiritimati (UTC+14).
    kiritimati = on_treatment(team, "Kai Teiti", time_zone="Pacific/Kiritimati")
    make_check_in(kiritimati, at=day(3, hour=12))  # 02:00 on the 22nd, local
    london = on_treatment(team, "Alice Morgan")
    make_check_in(london, at=day(2, hour=12))  # 12:00 on the 22nd

    with time_machine.travel(day(0, hour=11), tick=False):
        rows = missed_check_ins(user=nurse)

    assert {m.patient.name: m.days for m in rows} == {"Kai Teiti": 3}


def test_only_the_clinicians_own_teams_patients_are_listed(team, nurse, other_team, other_nurse):
    on_treatment(team, "Alice Morgan", last_check_in=5)
    on_treatment(other_team, "Bob Okafor", last_check_in=6)

    assert missed(nurse) == {"Alice Morgan": 5}
    assert missed(other_nurse) == {"Bob Okafor": 6}


def test_the_longest_without_a_check_in_come_first(team, nurse):
    on_treatment(team, "Alice Morgan", last_check_in=3)
    on_treatment(team, "Carol Reyes", added=9)
    on_treatment(team, "Dev Patel", last_check_in=5)

    assert list(missed(nurse)) == ["Carol Reyes", "Dev Patel", "Alice Morgan"]


# The page


def test_the_page_lists_each_patient_with_a_link_and_no_phone_number(nurse_client, team):
    alice = on_treatment(team, "Alice Morgan", last_check_in=4)
    carol = on_treatment(team, "Carol Reyes", status="finished", last_dose=100, added=5)

    with time_machine.travel(day(0, hour=11), tick=False):
        response = nurse_client.get(MISSED)

    text = response.text
    assert response.status_code == 200
    assert f'<a href="{reverse("alerts:patient", args=[alice.pk])}">Alice Morgan</a>' in text
    assert alice.hospital_number in text and carol.hospital_number in text
    assert "Checkpoint inhibitor: pembrolizumab" in text
    assert "never checked in (added" in text and "Finished: follow-up" in text
    assert "within the last year" in text
    assert "not an alert" in text
    assert "020 7946" not in text  # the team's phone numbers


def test_the_page_says_so_when_nobody_has_missed(nurse_client, team):
    response = nurse_client.get(MISSED)

    assert "Nobody on treatment or in follow-up has gone 3 days or more" in response.text


def test_the_page_is_for_care_teams_only(client, patient):
    assert client.get(MISSED).status_code == 302
    login(client, patient.user)
    assert client.get(MISSED).status_code == 404


# Queries


def crowd(team, first: int, count: int):
    """`count` patients on treatment, each with an older treatment and a few check-ins."""
    for n in range(first, first + count):
        patient = on_treatment(team, f"Patient{n} Test", last_check_in=(n + 3) % 6, added=10)
        TreatmentFactory(patient=patient, start_date=TODAY - timedelta(days=900))


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(MISSED)
    assert response.status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_patients_or_check_ins(nurse_client, nurse, team):
    crowd(team, 0, 3)
    with time_machine.travel(day(0, hour=11), tick=False):
        nurse_client.get(MISSED)  # the session's first request may do more
        few = queries(nurse_client)
        crowd(team, 3, 27)
        many = queries(nurse_client)

    assert len(missed(nurse)) == 15
    assert few == many


def test_the_selector_runs_two_queries(team, nurse, django_assert_num_queries):
    crowd(team, 0, 12)

    with django_assert_num_queries(2):
        assert len(missed_check_ins(user=nurse, today=TODAY)) == 6
