"""My history, short on a phone (issue 13, item 12): only the charts that show
something are drawn; warning signs never reported, and symptoms at the usual every
day, are named in one line each (patients.charts.summarise, and the page)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinical.catalogue import BY_KEY
from patients.charts import DAYS, summarise, symptom_chart

from ..conftest import login
from ..factories import make_check_in, make_flag

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HISTORY = reverse("patients:check_ins")
CHEST, BLOOD = BY_KEY["chest_pain"], BY_KEY["stool_blood_or_mucus"]
STOOLS, FATIGUE, TEMPERATURE = BY_KEY["stools_per_day"], BY_KEY["fatigue"], BY_KEY["temperature_c"]


def day(n: int) -> date:
    """The n-th day of the window ending TODAY: day(30) is today."""
    return TODAY - timedelta(days=DAYS - n)


def chart(item, points, usual=None, flags=()):
    return symptom_chart(item, points, usual, today=TODAY, flags=flags)


# The rule: pure, charts in, groups out.


def test_a_warning_sign_said_no_every_day_is_quiet():
    no = chart(CHEST, [(day(28), False), (day(29), False)])

    summary = summarise([no])

    assert not no.reported_yes
    assert summary.quiet_signs == (no,) and summary.drawn == ()


def test_a_warning_sign_said_yes_once_is_drawn():
    yes = chart(BLOOD, [(day(28), False), (day(29), True), (day(30), False)])

    summary = summarise([yes])

    assert yes.reported_yes
    assert summary.signs == (yes,) and summary.quiet_signs == ()


def test_a_yes_before_the_window_does_not_count():
    old = chart(BLOOD, [(day(-3), True), (day(29), False)])

    assert summarise([old]).quiet_signs == (old,)


def test_a_symptom_at_its_usual_every_day_answered_is_named_not_drawn():
    flat = chart(STOOLS, [(day(10), 1), (day(20), 1), (day(30), 1)], usual=1)

    summary = summarise([flat])

    assert flat.at_usual
    assert summary.at_usual == (flat,) and summary.drawn == ()


@pytest.mark.parametrize(
    "points",
    [
        [(day(29), 1), (day(30), 2)],  # one day above the usual
        [(day(29), 0), (day(30), 1)],  # one day better than usual: a change too
    ],
    ids=["worse", "better"],
)
def test_a_symptom_that_moved_from_its_usual_is_drawn(points):
    moved = chart(FATIGUE, points, usual=1)

    assert summarise([moved]).changed == (moved,)


def test_a_flagged_day_is_drawn_even_at_the_usual():
    """A flag comes from the engine (persistence, a combination): the chart shows it."""
    flagged = chart(STOOLS, [(day(30), 1)], usual=1, flags=[(day(30), "amber")])

    assert not flagged.at_usual and summarise([flagged]).changed == (flagged,)


def test_the_temperature_has_no_usual_and_is_drawn():
    temperature = chart(TEMPERATURE, [(day(29), 36.8), (day(30), 36.8)])

    assert summarise([temperature]).changed == (temperature,)


def test_a_usual_never_answered_in_the_window_is_named_as_unanswered():
    unanswered = chart(FATIGUE, [], usual=1)

    assert summarise([unanswered]).unanswered == (unanswered,)


def test_the_order_is_kept_in_each_group():
    a = chart(STOOLS, [(day(30), 1)], usual=1)
    b = chart(FATIGUE, [(day(30), 1)], usual=1)
    c = chart(CHEST, [(day(30), False)])
    d = chart(BLOOD, [(day(30), False)])

    summary = summarise([a, b, c, d])

    assert summary.at_usual == (a, b) and summary.quiet_signs == (c, d)


# The page.


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


def at(n: int) -> datetime:
    return datetime.combine(day(n), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)


def chart_ids(text: str) -> list[str]:
    return re.findall(r'<figure class="chart[^"]*" id="my-chart-(\w+)">', text)


def ordinary_days(patient, n=5):
    for i in range(n):
        make_check_in(
            patient,
            at=at(30 - i),
            stools_per_day=1,
            fatigue=1,
            wellbeing=8,
            joint_pain=0,
            chest_pain=False,
            stool_blood_or_mucus=False,
            fainting=False,
        )


def test_ordinary_days_draw_no_chart_and_say_so_in_two_lines(patient_client, patient):
    ordinary_days(patient)

    text = patient_client.get(HISTORY).text

    assert chart_ids(text) == []
    assert (
        "<strong>As usual</strong> every day you answered: stools, fatigue, joint pain, "
        "wellbeing." in text
    )
    assert (
        "<strong>No warning signs reported</strong> in the last 30 days: chest pain, "
        "blood or mucus in stools, fainting." in text
    )
    assert "Each chart shows" not in text  # no key to charts that are not there


def test_a_reported_warning_sign_is_drawn_and_the_others_named(patient_client, patient):
    ordinary_days(patient)
    blood = make_check_in(patient, at=at(28) + timedelta(hours=2), stool_blood_or_mucus=True)
    make_flag(blood, "stool_blood_or_mucus", "red", rule="R3")

    text = patient_client.get(HISTORY).text

    assert chart_ids(text) == ["stool_blood_or_mucus"]
    assert "you said yes on 23 Nov" in text  # the 28th day of the window
    assert "<strong>Not reported</strong> in the last 30 days: chest pain, fainting." in text
    assert "No warning signs reported" not in text


def test_the_carer_reads_the_same_lines_about_the_patient(client, carer, patient):
    ordinary_days(patient)

    text = login(client, carer).get(HISTORY).text

    assert chart_ids(text) == []
    assert "<strong>As usual</strong> every day answered: stools," in text
    assert "<strong>No warning signs reported</strong> in the last 30 days: chest pain," in text


def test_the_summary_costs_no_query(patient_client, patient):
    """As many queries with every chart summarised as with every chart drawn."""
    ordinary_days(patient)

    with CaptureQueriesContext(connection) as quiet:
        patient_client.get(HISTORY)
    for i in range(5):
        make_check_in(patient, at=at(25 - i), stools_per_day=3, fatigue=2, chest_pain=True)
    with CaptureQueriesContext(connection) as drawn:
        text = patient_client.get(HISTORY).text
    assert "stools_per_day" in chart_ids(text) and "chest_pain" in chart_ids(text)
    assert len(quiet.captured_queries) == len(drawn.captured_queries)
