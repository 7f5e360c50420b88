"""The clinic summary (issue 15, item 4): one printable page before an appointment,
for the patient (and their carer) and for the care team."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Action, AuditEvent, Baseline, Question

from ..conftest import login
from ..factories import BaselineFactory, make_check_in, make_flag

pytestmark = pytest.mark.django_db


def days_ago(patient, n, hour=12):
    """An instant `n` of the patient's days ago, at `hour` o'clock their time."""
    day = patient.local_date() - timedelta(days=n)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour), patient.tz)


@pytest.fixture
def alice(patient):
    """Alice joined 200 days ago; her last dose was 10 days ago (the factory's)."""
    patient.created_at = timezone.now() - timedelta(days=200)
    patient.save(update_fields=["created_at"])
    patient.baselines.update(created_at=timezone.now() - timedelta(days=200))
    return patient


def summary_url(patient=None):
    if patient is None:
        return reverse("patients:summary")
    return reverse("alerts:patient_summary", args=[patient.pk])


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response, response.content.decode()


def row_of(response, key):
    return next(r for r in response.context["summary"].rows if r.item.key == key)


def test_it_shows_the_worst_value_and_the_first_day_it_was_reached(alice, client):
    # Usual: stools 1 a day, fatigue mild (1), wellbeing 8/10.
    make_check_in(alice, at=days_ago(alice, 8), stools_per_day=4, fatigue=1, wellbeing=8)
    make_check_in(alice, at=days_ago(alice, 6), stools_per_day=7, fatigue=2, wellbeing=5)
    make_check_in(alice, at=days_ago(alice, 6, hour=18), stools_per_day=2, fatigue=3)
    make_check_in(alice, at=days_ago(alice, 4), stools_per_day=7, fatigue=3, wellbeing=4)
    make_check_in(alice, at=days_ago(alice, 2), stools_per_day=1, fatigue=0, wellbeing=9)
    response, html = page(login(client, alice.user), summary_url())

    stools = row_of(response, "stools_per_day")
    assert (stools.usual, stools.worst) == ("1 a day", "7 a day")
    assert stools.worst_day == alice.local_date() - timedelta(days=6)  # the first day of 7
    assert stools.days_worse == 3  # 8, 6 and 4 days ago; a day counts once
    fatigue = row_of(response, "fatigue")
    assert (fatigue.usual, fatigue.worst) == ("Mild (1)", "Severe (3)")
    assert fatigue.worst_day == alice.local_date() - timedelta(days=6)
    assert fatigue.days_worse == 2
    # Wellbeing is worse when lower: its worst is the lowest, 4 days ago.
    wellbeing = row_of(response, "wellbeing")
    assert (wellbeing.usual, wellbeing.worst) == ("8 out of 10", "4 out of 10")
    assert wellbeing.worst_day == alice.local_date() - timedelta(days=4)
    assert wellbeing.days_worse == 2
    assert "Moderate (2)" not in html and "Severe (3)" in html
    s = response.context["summary"]
    assert (s.check_ins, s.days_checked_in) == (5, 4)
    assert s.days_without == s.days - 4
    assert "5 check-ins on 4 of 11 days; 7 days without one." in html


def test_items_always_at_the_usual_are_one_line(alice, client):
    make_check_in(alice, at=days_ago(alice, 3), stools_per_day=1, fatigue=1, nausea=0, rash=0)
    make_check_in(alice, at=days_ago(alice, 2), stools_per_day=0, fatigue=1, nausea=0, rash=2)
    response, html = page(login(client, alice.user), summary_url())
    s = response.context["summary"]
    assert [r.item.key for r in s.rows] == ["rash"]
    assert [i.key for i in s.as_usual] == ["stools_per_day", "nausea", "fatigue"]
    assert "As usual throughout:</strong> Stools, Nausea, Fatigue." in html


def test_warning_signs_and_the_highest_temperature_with_their_days(alice, client):
    make_check_in(alice, at=days_ago(alice, 5), chest_pain=False, dark_urine=True)
    make_check_in(alice, at=days_ago(alice, 4), temperature_c="38.4", dark_urine=True)
    make_check_in(alice, at=days_ago(alice, 3), temperature_c="38.4", chest_pain=True)
    make_check_in(alice, at=days_ago(alice, 2), temperature_c="37.1", chest_pain=False)
    response, html = page(login(client, alice.user), summary_url())
    s = response.context["summary"]
    today = alice.local_date()
    assert [(i.key, days) for i, days in s.warning_signs] == [
        ("chest_pain", [today - timedelta(days=3)]),
        ("dark_urine", [today - timedelta(days=5), today - timedelta(days=4)]),
    ]
    assert s.temperature == ("38.4 °C", today - timedelta(days=4))
    assert "Highest temperature:</strong> 38.4 °C on" in html
    assert "Chest pain (" in html and "Dark urine (" in html


def test_a_change_of_usual_within_the_period_is_shown_and_each_check_in_is_judged_by_its_own(
    alice, client
):
    make_check_in(alice, at=days_ago(alice, 8), fatigue=2)  # worse than mild
    new = BaselineFactory(patient=alice, fatigue=2, stools_per_day=1, wellbeing=8)
    Baseline.objects.filter(pk=new.pk).update(created_at=days_ago(alice, 6))
    make_check_in(alice, at=days_ago(alice, 5), fatigue=2, baseline=new)  # her new usual
    make_check_in(alice, at=days_ago(alice, 4), fatigue=3, baseline=new)
    response, html = page(login(client, alice.user), summary_url())
    fatigue = row_of(response, "fatigue")
    changed = (alice.local_date() - timedelta(days=6)).strftime("%-d %b")
    assert fatigue.usual == f"Mild (1); Moderate (2) from {changed}"
    assert fatigue.days_worse == 2  # 8 days ago (against mild) and 4 days ago (moderate)
    assert fatigue.worst == "Severe (3)"
    assert f"Mild (1); Moderate (2) from {changed}" in html


def test_flags_their_actions_and_resolution_are_listed_for_the_team(alice, client, nurse):
    now = timezone.now()
    c = make_check_in(alice, at=days_ago(alice, 4), stools_per_day=7)
    flag = make_flag(
        c,
        acknowledged_at=now - timedelta(days=3),
        acknowledged_by=nurse,
        status="resolved",
        resolved_at=now - timedelta(days=2),
        resolved_by=nurse,
        resolution_note="Settled on loperamide after review",
    )
    Action.objects.create(
        episode=flag.episode, kind="phoned", note="Spoke to her at home", taken_by=nurse
    )
    old = make_check_in(alice, at=days_ago(alice, 40), rash=3)
    make_flag(old, "rash", "amber", rule="R7")  # before the period: not listed
    response, html = page(login(client, nurse), summary_url(alice))
    episodes = response.context["summary"].episodes
    assert [e.symptom for e in episodes] == ["stools_per_day"]
    assert "Red: urgent" in html and "<strong>Stools</strong>" in html
    assert "Phoned the patient" in html and "by Nadia Hughes: Spoke to her at home" in html
    assert "Acknowledged" in html and "Resolved" in html
    assert "Settled on loperamide after review" in html
    assert "<strong>Rash</strong>" not in html

    # The patient sees what was done and when, never who or the team's notes (as on
    # her history page).
    client.logout()
    _response, mine = page(login(client, alice.user), summary_url())
    assert "Phoned the patient" in mine and "Seen by the team" in mine
    assert "Nadia" not in mine and "Spoke to her" not in mine and "loperamide" not in mine


def test_only_the_questions_not_yet_asked(alice, client):
    Question.objects.create(patient=alice, text="Can I go swimming?")
    Question.objects.create(patient=alice, text="Asked already?", asked_at=timezone.now())
    _response, html = page(login(client, alice.user), summary_url())
    assert "Can I go swimming?" in html and "Asked already?" not in html


def test_the_period_starts_at_the_last_dose_by_default(alice, client):
    response, _html = page(login(client, alice.user), summary_url())
    summary = response.context["summary"]
    assert summary.since == alice.treatment.last_dose_date == alice.local_date() - timedelta(10)
    assert summary.since_message == ""


def test_with_no_dose_in_the_last_year_it_is_the_last_30_days(alice, client):
    alice.treatments.update(last_dose_date=alice.local_date() - timedelta(days=400))
    response, _html = page(login(client, alice.user), summary_url())
    assert response.context["summary"].since == alice.local_date() - timedelta(days=30)


@pytest.mark.parametrize(
    "since, says",
    [
        ("yesterday", "is not a date written as YYYY-MM-DD"),
        ("2026-02-30", "is not a real date"),
        ("future", "is in the future"),
        ("before_joining", "when the record began"),
        ("too_far", "at most 366 days"),
    ],
)
def test_a_bad_since_date_says_why_and_keeps_the_default(alice, client, since, says):
    today = alice.local_date()
    if since == "future":
        since = (today + timedelta(days=1)).isoformat()
    elif since == "before_joining":
        since = (today - timedelta(days=250)).isoformat()
    elif since == "too_far":
        alice.created_at = timezone.now() - timedelta(days=900)
        alice.save(update_fields=["created_at"])
        since = (today - timedelta(days=367)).isoformat()
    response, html = page(login(client, alice.user), summary_url(), since=since)
    summary = response.context["summary"]
    assert says in summary.since_message and says in html.replace("&#x27;", "'")
    assert summary.since == summary.default_since == today - timedelta(days=10)


def test_a_good_since_date_is_used(alice, client):
    since = alice.local_date() - timedelta(days=45)
    response, html = page(login(client, alice.user), summary_url(), since=since.isoformat())
    assert response.context["summary"].since == since
    assert 'role="alert"' not in html


def test_another_patients_data_is_never_shown(alice, other_patient, client, nurse, other_nurse):
    make_check_in(other_patient, stools_per_day=12)
    Question.objects.create(patient=other_patient, text="Bob's own question")
    # The patient's URL is always their own.
    _response, html = page(login(client, alice.user), summary_url())
    assert "Bob" not in html and "12 a day" not in html
    client.logout()
    # The team's URL: another team's patient is a 404, and the team's own are shown.
    login(client, nurse)
    assert client.get(summary_url(other_patient)).status_code == 404
    assert client.get(summary_url(alice)).status_code == 200
    client.logout()
    login(client, other_nurse)
    assert client.get(summary_url(alice)).status_code == 404
    # A patient is not a clinician.
    client.logout()
    login(client, alice.user)
    assert client.get(summary_url(alice)).status_code == 404


def test_a_carer_sees_it_without_the_notebook_and_is_in_the_trail(alice, carer, client):
    Question.objects.create(patient=alice, text="Can I go swimming?")
    make_check_in(alice, at=days_ago(alice, 2), stools_per_day=5)
    before = AuditEvent.objects.count()
    _response, html = page(login(client, carer), summary_url())
    assert "Alice&#x27;s usual" in html or "Alice's usual" in html
    assert "Can I go swimming?" not in html
    assert "shown only to Alice" in html
    event = AuditEvent.objects.order_by("pk").last()
    assert AuditEvent.objects.count() == before + 1
    assert (event.actor_role, event.patient_id) == ("carer", alice.pk)
    assert event.detail == "clinic summary"


def test_a_revoked_carer_is_refused(alice, revoked_carer, client):
    assert login(client, revoked_carer).get(summary_url()).status_code == 404


def test_the_teams_view_is_in_the_audit_trail(alice, client, nurse):
    page(login(client, nurse), summary_url(alice))
    event = AuditEvent.objects.order_by("pk").last()
    assert (event.actor_role, event.action, event.patient_id) == ("clinician", "viewed", alice.pk)
    assert event.actor_label == "nadia" and event.detail == "clinic summary"


def test_the_pages_are_not_stored(alice, client, nurse):
    response = login(client, alice.user).get(summary_url())
    assert "no-store" in response["Cache-Control"]
    client.logout()
    response = login(client, nurse).get(summary_url(alice))
    assert "no-store" in response["Cache-Control"]


def test_the_patient_page_links_to_the_summary(alice, client, nurse):
    _response, html = page(login(client, nurse), reverse("alerts:patient", args=[alice.pk]))
    assert summary_url(alice) in html and "Print clinic summary" in html
    client.logout()
    login(client, alice.user)
    for name in ("patients:home", "patients:questions", "patients:check_ins"):
        _response, html = page(client, reverse(name))
        assert "Print a summary for my appointment" in html, name


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def _fill(patient, n, nurse):
    """`n` check-ins over the last 60 days, some worse than usual, some flagged."""
    for i in range(n):
        at = timezone.now() - timedelta(hours=7 * i + 1)
        c = make_check_in(
            patient, at=at, stools_per_day=i % 6, fatigue=i % 5, wellbeing=10 - i % 7,
            temperature_c=f"37.{i % 10}", chest_pain=i % 11 == 0,
        )  # fmt: skip
        if i % 9 == 0:
            flag = make_flag(c, "fatigue", "amber", rule="R7")
            Action.objects.create(episode=flag.episode, kind="advice", taken_by=nurse)


def test_the_number_of_queries_does_not_grow_with_the_check_ins(alice, client, nurse):
    login(client, nurse)
    since = (alice.local_date() - timedelta(days=100)).isoformat()
    Question.objects.create(patient=alice, text="Can I go swimming?")
    _fill(alice, 5, nurse)
    client.get(summary_url(alice))  # the session keeps the viewer's zone from here on
    few = _queries(client, summary_url(alice), since=since)
    _fill(alice, 195, nurse)
    many = _queries(client, summary_url(alice), since=since)
    assert many == few, (few, many)
    assert few <= 20
    client.logout()
    login(client, alice.user)
    client.get(summary_url())
    assert _queries(client, summary_url(), since=since) <= 16


def test_with_no_usual_recorded_wellbeing_is_listed_not_as_usual(alice, client):
    # Judged against no usual: the stools against the engine's 1 a day, wellbeing
    # against nothing, so it cannot be "as usual throughout".
    make_check_in(alice, at=days_ago(alice, 3), baseline=None, stools_per_day=1, wellbeing=5)
    make_check_in(alice, at=days_ago(alice, 2), baseline=None, stools_per_day=0, wellbeing=7)
    response, html = page(login(client, alice.user), summary_url())
    s = response.context["summary"]
    assert [i.key for i in s.as_usual] == ["stools_per_day"]
    wellbeing = row_of(response, "wellbeing")
    assert (wellbeing.usual, wellbeing.worst) == ("none recorded", "5 out of 10")
    assert wellbeing.worst_day == alice.local_date() - timedelta(days=3)
    assert (wellbeing.days_worse, wellbeing.days_answered) == (0, 2)
    assert "none recorded" in html


def test_the_worst_is_the_worst_of_the_days_worse_than_their_usual(alice, client):
    # Usual severe (3), then mild (1): a 3 judged against severe was her usual; the
    # worst worse than usual is the 2 judged against mild.
    severe = BaselineFactory(patient=alice, fatigue=3, stools_per_day=1, wellbeing=8)
    Baseline.objects.filter(pk=severe.pk).update(created_at=days_ago(alice, 9, hour=8))
    make_check_in(alice, at=days_ago(alice, 9), fatigue=3, baseline=severe)
    mild = BaselineFactory(patient=alice, fatigue=1, stools_per_day=1, wellbeing=8)
    Baseline.objects.filter(pk=mild.pk).update(created_at=days_ago(alice, 6))
    make_check_in(alice, at=days_ago(alice, 4), fatigue=2, baseline=mild)
    make_check_in(alice, at=days_ago(alice, 3), fatigue=1, baseline=mild)
    response, _html = page(login(client, alice.user), summary_url())
    fatigue = row_of(response, "fatigue")
    assert (fatigue.worst, fatigue.days_worse) == ("Moderate (2)", 1)
    assert fatigue.worst_day == alice.local_date() - timedelta(days=4)


def test_the_usuals_are_read_from_the_patients_own(alice, client):
    make_check_in(alice, at=days_ago(alice, 2), fatigue=2)
    login(client, alice.user)
    with CaptureQueriesContext(connection) as ctx:
        client.get(summary_url())
    usuals = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "patients_baseline"') and "EXISTS" in q["sql"]
    ]
    assert len(usuals) == 1
    assert '"patients_baseline"."patient_id" =' in usuals[0]


def test_a_low_temperature_is_shown_with_its_day(alice, client):
    make_check_in(alice, at=days_ago(alice, 3), temperature_c="35.6")
    make_check_in(alice, at=days_ago(alice, 2), temperature_c="38.1")
    response, html = page(login(client, alice.user), summary_url())
    s = response.context["summary"]
    today = alice.local_date()
    assert s.temperature == ("38.1 °C", today - timedelta(days=2))
    assert s.low_temperature == ("35.6 °C", today - timedelta(days=3))
    assert "Lowest, below 36.0 °C:</strong> 35.6 °C on" in html


def test_a_lowest_temperature_of_36_or_more_is_not_shown(alice, client):
    make_check_in(alice, at=days_ago(alice, 3), temperature_c="36.0")
    response, html = page(login(client, alice.user), summary_url())
    assert response.context["summary"].low_temperature is None
    assert "Lowest" not in html


def test_long_lists_are_shortened_to_keep_one_page(alice, client, nurse):
    # A warning sign on more than 3 days: counted, with the first and the last.
    for n in (9, 8, 6, 4, 2):
        make_check_in(alice, at=days_ago(alice, n), dark_urine=True)
    make_check_in(alice, at=days_ago(alice, 3), chest_pain=True)
    # An episode's last 3 actions; the earlier ones counted.
    flag = make_flag(make_check_in(alice, at=days_ago(alice, 5), stools_per_day=7))
    for i in range(5):
        Action.objects.create(
            episode=flag.episode,
            kind="phoned",
            note=f"Call number {i}",
            taken_at=timezone.now() - timedelta(hours=10 - i),
            taken_by=nurse,
        )
    # A long question is cut short on paper, whole on screen.
    long = "Is it safe to " + "keep walking the dog every morning " * 8 + "?"
    Question.objects.create(patient=alice, text=long)
    _response, html = page(login(client, nurse), summary_url(alice))
    first, last = (alice.local_date() - timedelta(days=n) for n in (9, 2))
    assert f"Dark urine (5 days, {first:%-d %b} to {last:%-d %b})" in html
    chest = (alice.local_date() - timedelta(days=3)).strftime("%-d %b")
    assert f"Chest pain ({chest})" in html
    assert "2 earlier actions, then:" in html
    assert "Call number 1" not in html
    assert all(f"Call number {i}" in html for i in (2, 3, 4))
    assert f'<span class="d-print-none">{long}</span>' in html
    assert f'<span class="d-none d-print-inline">{long[:99]}…</span>' in html
