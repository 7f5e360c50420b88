"""My history: the patient's charts of the last 30 days, and whether the team has seen each flag."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.charts import DAYS
from patients.models import Flag

from ..conftest import login
from ..factories import make_check_in, make_flag

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday; London is on UTC in winter
TODAY = date(2026, 11, 25)
HISTORY = reverse("patients:check_ins")


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


def at(n: int, hour: int = 9) -> datetime:
    """9am UTC on the n-th day of the window ending TODAY: at(30) is today."""
    day = TODAY - timedelta(days=DAYS - n)
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def flag(check_in, symptom="stools_per_day", urgency="red", rule="R2", **fields) -> Flag:
    return make_flag(check_in, symptom, urgency, rule=rule, **fields)


def chart_ids(text: str) -> list[str]:
    return re.findall(r'<figure class="chart[^"]*" id="my-chart-(\w+)">', text)


def entries(text: str) -> list[str]:
    """The check-in cards of the list, newest first."""
    return re.findall(r'<div class="card mb-2">(.*?)</div></div>', text, re.S)


def test_charts_show_the_answered_items_against_the_usual(patient_client, patient):
    make_check_in(patient, at=at(28), stools_per_day=2, fatigue=1, temperature_c="37.0")
    worst = make_check_in(patient, at=at(29), stools_per_day=9, fatigue=2, chest_pain=False)
    make_check_in(patient, at=at(30), stools_per_day=4)
    make_check_in(patient, at=at(-5), nausea=3)  # before the window: no nausea chart
    flag(worst)

    response = patient_client.get(HISTORY)

    text = response.text
    assert response.status_code == 200
    # Drawn: what moved from the usual, and the temperature. Named in a line: what
    # has a usual but no answer (wellbeing 8, joint pain 0), a warning sign said no.
    assert chart_ids(text) == ["stools_per_day", "fatigue", "temperature_c"]
    assert "<strong>Not answered</strong> in the last 30 days: joint pain, wellbeing." in text
    assert "<strong>No warning signs reported</strong> in the last 30 days: chest pain." in text
    assert "Last 30 days: 27 Oct to 25 Nov 2026" in text
    assert 'href="/static/css/charts.css"' in text
    assert "<strong>Stools</strong>:\n    your usual is 1 a day. Highest: 9 a day on 24 Nov" in text
    assert "latest: 4 a day on 25 Nov. You answered on 3 of the last 30 days." in text
    assert "<title>Your usual: 1 a day</title>" in text
    assert (
        '<path class="mark mark-red"' in text
        and "<title>24 Nov: 9 a day (Red: urgent)</title>" in text
    )
    # Scores in words, never the internal number: "mild", not "1 (mild)".
    assert "<strong>Fatigue</strong>:\n    your usual is mild. Highest: moderate on 24 Nov" in text
    assert "(mild)" not in text and "(moderate)" not in text
    # The whole list is still there under the charts.
    assert len(entries(text)) == 4


def test_charts_use_plain_words_not_the_care_teams(patient_client, patient):
    c = make_check_in(patient, at=at(29), stools_per_day=9)
    flag(c, explanation="stools 9/day vs baseline 1/day: +8 over baseline")

    text = patient_client.get(HISTORY).text

    assert "vs usual" not in text and "red flag" not in text and "flagged on" not in text
    # Whole words only: the page's random CSRF token may hold "R2" by chance.
    assert not re.search(r"\bR2\b", text) and "+8 over baseline" not in text


def test_a_scores_axis_is_in_the_patients_words(patient_client, patient):
    make_check_in(patient, at=at(29), fatigue=3)

    text = patient_client.get(HISTORY).text

    chart = text[text.index('id="my-chart-fatigue"') :]
    chart = chart[: chart.index("</figure>")]
    axis = re.findall(r'dominant-baseline="middle">([^<]+)</text>', chart)
    assert axis == ["very severe", "moderate", "none"]


def test_a_seen_flag_says_so_with_when_in_the_patients_time_zone(patient_client, patient, nurse):
    patient.time_zone = "America/New_York"
    patient.save()
    seen = make_check_in(patient, at=at(29), stools_per_day=9)
    flag(
        seen,
        status="resolved",
        acknowledged_at=datetime(2026, 11, 24, 15, 5, tzinfo=UTC),
        acknowledged_by=nurse,
        resolved_at=datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
        resolved_by=nurse,
        resolution_note="Spoke to Alice; loperamide started",
    )
    flag(
        seen,
        symptom="abdominal_pain",
        urgency="amber",
        rule="R6",
        status="acknowledged",
        acknowledged_at=datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
        acknowledged_by=nurse,
    )

    text = patient_client.get(HISTORY).text

    [entry] = entries(text)
    assert "Your team has seen this (Tue 24 Nov, 10:05)." in entry  # 15:05 UTC in New York
    assert "Not yet seen" not in entry
    # Never who, why, or what the team wrote.
    assert "Nadia" not in text and "Hughes" not in text and "nadia" not in text
    assert "loperamide" not in text and not re.search(r"\bR[26]\b", text)


def test_an_open_flag_is_not_yet_seen_and_gives_the_24_hour_line(patient_client, patient, nurse):
    make_check_in(patient, at=at(27), stools_per_day=1)  # no flag: nothing said
    open_one = make_check_in(patient, at=at(28), nausea=4)
    flag(open_one, symptom="nausea", rule="R6")  # an episode of its own, still open
    partly = make_check_in(patient, at=at(29), stools_per_day=9, abdominal_pain=3)
    flag(partly, status="acknowledged", acknowledged_at=at(29, 10), acknowledged_by=nurse)
    flag(partly, symptom="abdominal_pain", rule="R9")  # a new finding, not yet seen

    text = patient_client.get(HISTORY).text

    newest, middle, oldest = entries(text)
    for entry in (newest, middle):
        assert "<strong>Not yet seen by your team</strong>: if you are worried, phone" in entry
        assert (
            'Acute oncology 24-hour line on <a href="tel:02079460999">020 7946 0999</a>, '
            "at any time" in entry
        )
        assert "Your team has seen this" not in entry
    assert "seen" not in oldest


def test_another_patients_check_ins_and_flags_are_never_shown(
    client, patient, other_patient, nurse
):
    mine = make_check_in(patient, at=at(29), stools_per_day=2)
    theirs = make_check_in(other_patient, at=at(29), stools_per_day=12, nausea=4)
    flag(theirs, status="acknowledged", acknowledged_at=at(29, 11), acknowledged_by=nurse)
    login(client, patient.user)

    text = client.get(HISTORY).text

    assert "12/day" not in text and "Nausea" not in text
    assert "seen" not in text
    assert reverse("patients:check_in_result", args=[mine.pk]) in text
    assert reverse("patients:check_in_result", args=[theirs.pk]) not in text
    assert len(entries(text)) == 1


def test_a_nurse_gets_a_404(nurse_client, patient):
    make_check_in(patient, at=at(29), stools_per_day=9)

    assert nurse_client.get(HISTORY).status_code == 404


def test_someone_logged_out_is_sent_to_log_in(client):
    response = client.get(HISTORY)

    assert response.status_code == 302 and "login" in response["Location"]


def test_the_list_keeps_its_pages(patient_client, patient):
    for n in range(25):
        make_check_in(patient, at=at(30) - timedelta(hours=n), stools_per_day=1 + n % 2)

    first = patient_client.get(HISTORY).text
    second = patient_client.get(HISTORY, {"page": 2}).text

    assert len(entries(first)) == 20 and len(entries(second)) == 5
    assert 'href="?page=2">Older</a>' in first and 'href="?page=1">Newer</a>' in second
    assert chart_ids(second)[0] == "stools_per_day"  # the charts on every page


def queries_for(client, patient, n: int, nurse) -> int:
    """Queries of the page with n check-ins, each with a seen and an open flag."""
    patient.check_ins.all().delete()
    for i in range(n):
        c = make_check_in(
            patient, at=at(30 - i % 29, hour=1 + i % 20), stools_per_day=9, abdominal_pain=3
        )
        flag(c, status="acknowledged", acknowledged_at=NOW, acknowledged_by=nurse)
        flag(c, symptom="abdominal_pain", rule="R9")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(HISTORY)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_check_ins_or_flags(
    patient_client, patient, nurse
):
    assert queries_for(patient_client, patient, 2, nurse) == queries_for(
        patient_client, patient, 25, nurse
    )
