"""The care team's patient page: per-symptom charts of the last 30 days, then the check-ins."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.services import flagging
from clinical.catalogue import BY_KEY
from patients.charts import DAYS, HEIGHT, MARKS_HEIGHT, TOP, symptom_chart, worst_of_day, y_range
from patients.models import CheckIn, Episode, Flag

from ..factories import (
    BaselineFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    make_check_in,
    make_flag,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday; the patients' today in London
TODAY = date(2026, 11, 25)
STOOLS, WELLBEING, FATIGUE = BY_KEY["stools_per_day"], BY_KEY["wellbeing"], BY_KEY["fatigue"]
TEMPERATURE, CHEST_PAIN = BY_KEY["temperature_c"], BY_KEY["chest_pain"]
BOTTOM = HEIGHT - 16  # the plot's lowest y


def day(n: int) -> date:
    """The n-th day of the window ending TODAY: day(1) is the first, day(30) TODAY."""
    return TODAY - timedelta(days=DAYS - n)


def on(chart, when: date):
    return next(d for d in chart.days if d.date == when)


# The chart, a pure function


def test_it_keeps_each_days_worst_check_in():
    chart = symptom_chart(STOOLS, [(day(29), 3), (day(29), 9), (day(29), 2)], 1, today=TODAY)

    assert on(chart, day(29)).value == 9
    assert [d.date for d in chart.answered] == [day(29)]
    assert worst_of_day(FATIGUE, [1, 3, 2]) == 3
    assert worst_of_day(TEMPERATURE, [Decimal("37.2"), Decimal("38.4")]) == Decimal("38.4")
    assert worst_of_day(CHEST_PAIN, [False, True, False]) is True
    assert worst_of_day(STOOLS, [None, None]) is None


def test_wellbeings_worst_is_its_lowest():
    chart = symptom_chart(WELLBEING, [(day(30), 7), (day(30), 3)], 8, today=TODAY)

    assert on(chart, day(30)).value == 3
    assert chart.summary.startswith("Wellbeing: 3/10 on 25 Nov vs usual 8/10")


def test_a_day_with_no_answer_is_a_gap_in_the_line():
    points = [(day(n), 1) for n in (1, 2, 3, 5, 6, 9)]

    chart = symptom_chart(FATIGUE, points, 1, today=TODAY)

    assert len(chart.days) == DAYS and chart.days[0].date == day(1) and chart.end == TODAY
    assert on(chart, day(4)).value is None and on(chart, day(4)).mark == ""
    assert [len(line.split()) for line in chart.lines] == [3, 2]  # day 9 alone: a mark, no line
    assert [d.date for d in chart.answered] == [day(n) for n in (1, 2, 3, 5, 6, 9)]
    assert all(d.mark for d in chart.answered)


def test_answers_and_flags_outside_the_window_are_left_out():
    before, after = day(1) - timedelta(days=1), TODAY + timedelta(days=1)

    chart = symptom_chart(
        STOOLS, [(before, 20), (after, 30), (day(1), 2)], 1, today=TODAY, flags=[(before, "red")]
    )

    assert [(d.date, d.value) for d in chart.answered] == [(day(1), 2)]
    assert y_range(STOOLS, [2], 1) == (0, 3)
    assert on(chart, day(1)).urgency is None


def test_the_y_axis_is_scaled_to_the_items_range():
    top = symptom_chart(FATIGUE, [(day(1), 4), (day(2), 0)], None, today=TODAY)
    assert (on(top, day(1)).y, on(top, day(2)).y) == (TOP, BOTTOM)
    assert [t.label for t in top.ticks] == ["4", "2", "0"]

    assert y_range(WELLBEING, [3], 8) == (0, 10)
    assert y_range(STOOLS, [9, 4], 1) == (0, 10)  # observed worst + 1
    assert y_range(STOOLS, [], 5) == (0, 6)  # the baseline, when above what was seen
    assert y_range(TEMPERATURE, [Decimal("37.0")]) == (35, 40)
    assert y_range(TEMPERATURE, [Decimal("41.2"), Decimal("34.6")]) == (
        Decimal("34.6"),
        Decimal("41.2"),
    )

    stools = symptom_chart(STOOLS, [(day(1), 9)], 1, today=TODAY)
    assert on(stools, day(1)).y == pytest.approx(BOTTOM - 0.9 * (BOTTOM - TOP), abs=0.1)


def test_a_scores_axis_can_be_labelled_in_words_and_the_plot_makes_room_for_them():
    words = ["none", "mild", "moderate", "severe", "very severe"]
    numbers = symptom_chart(FATIGUE, [(day(1), 4)], 1, today=TODAY)
    worded = symptom_chart(FATIGUE, [(day(1), 4)], 1, today=TODAY, tick_words=words.__getitem__)

    assert [t.label for t in worded.ticks] == ["very severe", "moderate", "none"]
    assert [t.y for t in worded.ticks] == [t.y for t in numbers.ticks]
    assert numbers.plot_left == 28 and worded.plot_left >= 6 * len("very severe")
    assert worded.days[0].x == worded.plot_left and worded.days[-1].x == numbers.days[-1].x
    assert worded.tick_label_x == worded.plot_left - 4
    # Counts, wellbeing and temperatures keep their numbers: they are their own words.
    stools = symptom_chart(STOOLS, [(day(1), 9)], 1, today=TODAY, tick_words=lambda v: "x")
    assert [t.label for t in stools.ticks] == ["10", "5", "0"]


def test_the_baseline_is_a_line_at_its_value():
    chart = symptom_chart(STOOLS, [(day(30), 9)], 1, today=TODAY)

    assert chart.baseline == 1
    assert chart.baseline_y == pytest.approx(BOTTOM - 0.1 * (BOTTOM - TOP), abs=0.1)

    unrecorded = symptom_chart(STOOLS, [(day(30), 9)], None, today=TODAY)
    assert unrecorded.baseline_y is None
    assert "usual not recorded" in unrecorded.summary


def test_a_point_shows_its_days_worst_flag_by_shape_and_words_not_colour_alone():
    flags = [(day(29), "amber"), (day(29), "red"), (day(30), "amber")]

    chart = symptom_chart(
        STOOLS, [(day(28), 1), (day(29), 9), (day(30), 3)], 1, today=TODAY, flags=flags
    )

    plain, red, amber = on(chart, day(28)), on(chart, day(29)), on(chart, day(30))
    assert (plain.urgency, red.urgency, amber.urgency) == (None, "red", "amber")
    assert (plain.css, red.css, amber.css) == ("mark-none", "mark-red", "mark-amber")
    assert len({plain.mark[0:1] + plain.mark[-8:], red.mark[-8:], amber.mark[-8:]}) == 3
    assert "a" in plain.mark and "h" in red.mark and "L" in amber.mark  # circle, square, triangle
    assert red.text == "24 Nov: 9/day, red flag"
    assert amber.flag_text == "amber flag" and plain.flag_text == ""


def test_the_text_alternative_says_the_worst_day_against_the_usual():
    flags = [(day(29), "red"), (day(30), "amber")]

    chart = symptom_chart(
        STOOLS, [(day(28), 1), (day(29), 9), (day(30), 3)], 1, today=TODAY, flags=flags
    )

    assert chart.title == "Stools, last 30 days (27 Oct to 25 Nov)"
    assert chart.summary == (
        "Stools: 9/day on 24 Nov vs usual 1/day; latest 3/day on 25 Nov; "
        "answered on 3 of 30 days; flagged on 2 days (worst red)."
    )
    quiet = symptom_chart(FATIGUE, [], 1, today=TODAY)
    assert quiet.summary == "Fatigue: not answered in the last 30 days; usual 1 (mild)."


def test_a_yes_no_item_is_a_row_of_marked_days():
    chart = symptom_chart(
        CHEST_PAIN,
        [(day(20), False), (day(21), False), (day(29), True)],
        today=TODAY,
        flags=[(day(29), "emergency")],
    )

    assert chart.marks_only and chart.height == MARKS_HEIGHT < HEIGHT
    assert chart.lines == () and chart.baseline_y is None and chart.ticks == ()
    assert [d.css for d in chart.answered] == ["mark-no", "mark-no", "mark-emergency"]
    assert len({d.y for d in chart.answered}) == 1
    assert chart.summary == (
        "Chest pain: yes on 24 Nov; answered on 3 of 30 days; flagged on 1 day (worst emergency)."
    )
    often = symptom_chart(CHEST_PAIN, [(day(n), True) for n in range(1, 7)], today=TODAY)
    assert often.summary.startswith("Chest pain: yes on 6 days, latest 1 Nov;")
    never = symptom_chart(CHEST_PAIN, [(day(2), False)], today=TODAY)
    assert never.summary == "Chest pain: no on every day answered (answered on 1 of 30 days)."


# The page


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


def at(n: int, hour: int = 9) -> datetime:
    """9am (UTC, London in winter) on the n-th day of the window."""
    return datetime.combine(day(n), datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def flag(check_in, symptom, urgency="red", **fields) -> Flag:
    return make_flag(check_in, symptom, urgency, rule="R2", **fields)


def page(client, patient):
    return client.get(reverse("alerts:patient", args=[patient.pk]))


def svg_ids(text: str) -> list[str]:
    return re.findall(r'<figure class="chart[^"]*" id="chart-(\w+)">', text)


def test_the_page_draws_a_chart_per_answered_item_against_the_baseline(nurse_client, patient):
    make_check_in(patient, at=at(28), stools_per_day=2, fatigue=1, temperature_c="37.0")
    worst = make_check_in(patient, at=at(29), stools_per_day=9, fatigue=2, chest_pain=False)
    make_check_in(patient, at=at(29, hour=18), stools_per_day=4)
    flag(worst, "stools_per_day", explanation="stools 9/day vs baseline 1/day: +8 over baseline")

    response = page(nurse_client, patient)

    text = response.text
    assert response.status_code == 200
    # Answered in the window, or with a baseline (wellbeing 8 and joint pain 0): catalogue order.
    assert svg_ids(text) == [
        "stools_per_day",
        "fatigue",
        "joint_pain",
        "wellbeing",
        "temperature_c",
        "chest_pain",
    ]
    assert text.count('<svg class="chart-svg"') == 6
    assert text.count('class="chart-baseline"') == 4 + 1  # and the legend's
    assert "<title>Usual: 1/day</title>" in text
    assert "<strong>Stools</strong>: 9/day on 24 Nov vs usual 1/day" in text
    assert (
        '<path class="mark mark-red"' in text and "<title>24 Nov: 9/day, red flag</title>" in text
    )
    assert '<th scope="row">Tue 24 Nov</th><td>9/day</td><td>red flag</td>' in text
    assert "Last 30 days: 27 Oct to 25 Nov 2026" in text
    assert 'href="/static/css/charts.css"' in text


def test_the_page_shows_the_treatment_context(nurse_client, patient):
    patient.treatments.all().delete()
    TreatmentFactory(
        patient=patient,
        kind="checkpoint_inhibitor",
        medicines="nivolumab and ipilimumab",
        with_chemotherapy=True,
        status="held",
        start_date=date(2026, 9, 1),
        last_dose_date=date(2026, 11, 18),
        steroids="prednisolone 40 mg daily",
    )

    text = page(nurse_client, patient).text

    assert (
        "Checkpoint inhibitor: nivolumab and ipilimumab <strong>with chemotherapy</strong>" in text
    )
    assert "<dt>Status</dt><dd>Delayed or held</dd>" in text
    assert "<dt>Last dose</dt><dd>18 Nov 2026 (7 days ago)</dd>" in text
    assert "<dt>Steroids</dt><dd>prednisolone 40 mg daily</dd>" in text


def test_the_check_ins_come_newest_first_with_findings_medicines_free_text_and_who(
    nurse_client, nurse, patient
):
    older = make_check_in(patient, at=at(27), fatigue=1, new_medicines="loperamide")
    newer = make_check_in(patient, at=at(29), stools_per_day=9, free_text="Cramps since Sunday")
    newer.entered_by = "carer"
    newer.entered_by_user = UserFactory(username="carer", first_name="Chris", last_name="Morgan")
    newer.save()
    flag(
        newer,
        "stools_per_day",
        explanation="stools 9/day vs baseline 1/day: +8 over baseline (grade 2-3)",
        status="resolved",
        resolved_by=nurse,
        resolved_at=NOW,
        resolution_note="Phoned; advised the assessment unit",
    )
    make_check_in(patient, at=at(1) - timedelta(days=1), fatigue=3)  # before the window

    response = page(nurse_client, patient)

    text = response.text
    assert response.context["check_ins"] == [newer, older]
    assert text.index("Tue 24 Nov 2026, 09:00") < text.index("Sun 22 Nov 2026, 09:00")
    assert (
        "Red: stools 9/day vs baseline 1/day: +8 over baseline (grade 2-3)</a> (resolved)" in text
    )
    assert "<strong>Note</strong> by Nadia Hughes: Phoned; advised the assessment unit" in text
    assert "<strong>New medicines taken:</strong> loperamide" in text
    assert "<strong>Patient's note:</strong> Cramps since Sunday" in text
    assert "Entered by carer (Chris Morgan)" in text and "Entered by the patient" in text


def test_what_waits_for_the_team_is_listed_once_per_episode_from_any_day(nurse_client, patient):
    first_at = at(1) - timedelta(days=10)
    episode = Episode.objects.create(
        patient=patient, symptom="stools_per_day", urgency="red", opened_at=first_at
    )
    first = make_check_in(patient, at=first_at, stools_per_day=4)
    flag(first, "stools_per_day", "amber", episode=episode, status="acknowledged")
    latest = flag(
        make_check_in(patient, at=at(30), stools_per_day=9),
        "stools_per_day",
        "red",
        episode=episode,
        status="acknowledged",
    )
    headache = flag(make_check_in(patient, at=at(20), headache=2), "headache", "amber")
    flag(make_check_in(patient, at=at(25), nausea=3), "nausea", "amber", status="resolved")

    response = page(nurse_client, patient)

    rows = [(e.symptom, e.flag_count) for e in response.context["waiting"]]
    assert rows == [("stools_per_day", 2), ("headache", 1)]
    text = response.text
    assert (
        f'<a href="{reverse("alerts:flag", args=[latest.pk])}">Stools</a>: '
        "2 check-ins since 17 Oct, latest 25 Nov (acknowledged)"
    ) in text
    assert (
        f'<a href="{reverse("alerts:flag", args=[headache.pk])}">Headache</a>, 15 Nov (open)'
        in text
    )


def test_the_temperature_has_no_usual_to_compare_with():
    chart = symptom_chart(TEMPERATURE, [(day(29), Decimal("38.3"))], today=TODAY)

    assert chart.summary == "Temperature: 38.3 °C on 24 Nov; answered on 1 of 30 days."
    assert chart.baseline_y is None


def test_a_patient_with_no_check_ins_has_only_the_charts_of_their_baseline(nurse_client, patient):
    text = page(nurse_client, patient).text

    assert svg_ids(text) == ["stools_per_day", "fatigue", "joint_pain", "wellbeing"]
    assert "Stools: not answered in the last 30 days; usual 1/day." in text
    assert "No check-ins in the last 30 days." in text


def test_a_nurse_of_another_team_gets_a_404(client, other_nurse, patient):
    client.force_login(other_nurse)

    assert page(client, patient).status_code == 404


def test_the_number_of_queries_does_not_grow_with_check_ins_or_flags(
    nurse_client, nurse, team, patient
):
    busy = PatientFactory(
        care_team=team, user=UserFactory(username="dan", first_name="Dan", last_name="Price")
    )
    TreatmentFactory(patient=busy)
    BaselineFactory(patient=busy)
    carer = UserFactory(username="erin", first_name="Erin", last_name="Price")
    for n in range(1, 4):
        make_check_in(patient, at=at(n * 9), stools_per_day=1, wellbeing=8)
    # One episode in the small one's past (none would skip the page of past episodes).
    flag(make_check_in(patient, at=at(1), nausea=3), "nausea", "amber", status="resolved")
    for n in range(1, DAYS + 1):
        check_in = make_check_in(
            busy, at=at(n), stools_per_day=n % 9, wellbeing=7, chest_pain=False, free_text="ok"
        )
        if n % 3 == 0:  # who entered it is shown by name
            CheckIn.objects.filter(pk=check_in.pk).update(entered_by="carer", entered_by_user=carer)
        flag(check_in, "stools_per_day", "amber" if n % 2 else "red", status="acknowledged")
        flag(
            check_in,
            "wellbeing",
            "amber",
            status="resolved",
            acknowledged_by=nurse,
            resolved_by=nurse,
            resolution_note="Phoned",
        )

    page(nurse_client, patient)  # the session's first request may do more
    with CaptureQueriesContext(connection) as small:
        assert page(nurse_client, patient).status_code == 200
    with CaptureQueriesContext(connection) as large:
        response = page(nurse_client, busy)

    assert len(response.context["check_ins"]) == DAYS
    assert response.text.count('class="mark mark-red"') == DAYS // 2 + 1  # and the legend's
    check_ins = response.text.split('id="check-ins-heading"', 1)[1]
    assert check_ins.count("<strong>Note</strong> by Nadia Hughes: Phoned") == DAYS
    assert response.text.count("Entered by carer (Erin Price)") == DAYS // 3
    assert len(response.context["past_episodes"]) == 10  # a page of the 30 resolved
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_patient_who_sends_a_hundred_check_ins_in_a_day_costs_what_one_does(
    nurse_client, patient
):
    """One distressed patient, one red episode fed all day: the charts read a row a
    day, the list a page, what waits one row an episode."""
    flagging.flag_check_in(make_check_in(patient, at=at(29), stools_per_day=9).pk, now=at(29))
    page(nurse_client, patient)  # the session's first request may do more
    with CaptureQueriesContext(connection) as one:
        page(nurse_client, patient)

    for n in range(100):
        sent = at(29) + timedelta(minutes=n + 1)
        check_in = make_check_in(patient, at=sent, stools_per_day=9 + n % 3)
        flagging.flag_check_in(check_in.pk, now=sent)
    with CaptureQueriesContext(connection) as hundred:
        response = page(nurse_client, patient)

    assert len(hundred) == len(one)
    assert len(response.context["check_ins"]) == 30
    assert "(101)" in response.text and "1\u201330 of 101" in response.text
    [stools] = [c for c in response.context["line_charts"] if c.item.key == "stools_per_day"]
    assert [(d.date, d.value, d.urgency) for d in stools.answered] == [(day(29), 11, "red")]
    [episode] = response.context["waiting"]
    assert episode.flag_count == 101
    assert "101 check-ins since" in response.text
    older = nurse_client.get(reverse("alerts:patient", args=[patient.pk]), {"check_ins": 4})
    assert len(older.context["check_ins"]) == 11


def test_past_episodes_from_any_day_are_on_the_patient_page_a_page_at_a_time(
    nurse_client, nurse, patient
):
    """The queue's resolved view is the last 30 days; a patient's history is here."""
    for n in range(12):
        resolved = flag(
            make_check_in(patient, at=at(1) - timedelta(days=100 + n), nausea=3),
            "nausea",
            "amber",
            status="resolved",
            resolved_by=nurse,
            resolved_at=at(1) - timedelta(days=99 + n),
            resolution_note=f"Antiemetic advised ({n})",
        )
        if n == 0:
            newest = resolved

    response = page(nurse_client, patient)

    shown = list(response.context["past_episodes"])
    assert len(shown) == 10 and shown[0].latest_flag_id == newest.pk
    assert "Past episodes, most recently resolved first (12)" in response.text
    assert "<strong>Note</strong> by Nadia Hughes: Antiemetic advised (0)" in response.text
    older = nurse_client.get(reverse("alerts:patient", args=[patient.pk]), {"episodes": 2})
    assert len(older.context["past_episodes"]) == 2
