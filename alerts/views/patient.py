"""A patient for the care team: their context, charts of the last 30 days against
their usual, what waits for the team, and their check-ins."""

from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, Max, Min, Prefetch
from django.db.models.functions import Cast
from django.shortcuts import render

from clinical.catalogue import ITEMS, WELLBEING, YESNO
from patients import audit
from patients.access import clinician_required, get_patient_for_clinician
from patients.charts import legend, symptom_chart, window_start
from patients.models import ACKNOWLEDGED, OPEN, RESOLVED, Flag

from .paging import CountedPaginator

# The check-ins listed under the charts, newest first, a page at a time.
CHECK_INS_PAGE_SIZE = 30
# The patient's resolved episodes, from any day: their history, most recent first.
PAST_EPISODES_PAGE_SIZE = 10


@clinician_required
def patient_timeline(request, pk):
    """A patient for the care team: context, charts of the last 30 days, the check-ins.

    It reads what it shows, whatever the patient's history or the size of an episode
    (tests assert a fixed number of queries):

    1. One aggregate query: each day of the window's worst answer per item and
       number of check-ins (the charts, and the list's count).
    2. One query: each day's flags, as (day, symptom, urgency) once each (the marks).
    3. The page of check-ins listed, with their flags (two queries).
    4. The episodes waiting for the team, with their newest flag (one query).
    5. A page of the patient's resolved episodes, from any day (two queries).
    """
    patient = get_patient_for_clinician(request.user, pk)
    audit.record(request, "viewed", patient, obj=patient, role="clinician")
    today = patient.local_date()
    start = window_start(today)
    in_window = patient.check_ins.filter(local_date__gte=start)
    days = _worst_by_day(in_window)
    # A patient who moved west can have a check-in dated after their new today.
    end = max([today, *days])
    flag_days = (
        Flag.objects.filter(check_in__in=in_window)
        .order_by()
        .values_list("check_in__local_date", "symptom", "urgency")
        .distinct()
    )
    page = CountedPaginator(
        in_window.select_related("entered_by_user", "phone_call__by").prefetch_related(
            Prefetch(
                "flags",
                queryset=Flag.objects.select_related("episode__resolved_by")
                .with_seen()
                .most_urgent_first(),
            )
        ),
        CHECK_INS_PAGE_SIZE,
        count=sum(day["n"] for day in days.values()),
    ).get_page(request.GET.get("check_ins"))
    baseline = patient.active_baseline
    treatment = patient.treatment
    charts = _patient_charts(days, list(flag_days), baseline, end)
    return render(
        request,
        "alerts/patient.html",
        {
            "patient": patient,
            "today": today,
            "treatment": treatment,
            "days_since_dose": treatment.days_since_last_dose(today) if treatment else None,
            "baseline": baseline,
            "baseline_rows": [
                (i, getattr(baseline, i.key)) for i in ITEMS if baseline and i.has_baseline
            ],
            "waiting": _waiting(patient),
            "window": (window_start(end), end),
            "legend": legend(),
            "line_charts": [c for c in charts if not c.marks_only],
            "mark_charts": [c for c in charts if c.marks_only],
            "check_ins": list(page),
            "check_ins_page": page,
            "past_episodes": Paginator(
                patient.episodes.filter(status=RESOLVED, latest_flag__isnull=False)
                .select_related("latest_flag", "resolved_by")
                .order_by(F("resolved_at").desc(nulls_last=True), "-pk"),
                PAST_EPISODES_PAGE_SIZE,
            ).get_page(request.GET.get("episodes")),
        },
    )


def _worst_by_day(check_ins) -> dict:
    """{local date: {"n": check-ins, item key: the day's worst answer}}, one query:
    the lowest wellbeing, a yes, else the highest value (patients.charts.worst_of_day)."""
    worst = {}
    for item in ITEMS:
        if item.kind == YESNO:
            worst[item.key] = Max(Cast(item.key, IntegerField()))
        elif item.kind == WELLBEING:
            worst[item.key] = Min(item.key)
        else:
            worst[item.key] = Max(item.key)
    rows = (
        check_ins.order_by()
        .values("local_date")
        .annotate(n=Count("pk"), **{f"worst_{key}": f for key, f in worst.items()})
    )
    days = {}
    for row in rows:
        day = {"n": row["n"]}
        for item in ITEMS:
            value = row[f"worst_{item.key}"]
            day[item.key] = bool(value) if item.kind == YESNO and value is not None else value
        days[row["local_date"]] = day
    return days


def _patient_charts(days, flag_days, baseline, end):
    """A chart for each item answered in the window or with a recorded baseline."""
    charts = []
    for item in ITEMS:
        usual = getattr(baseline, item.key, None) if item.has_baseline else None
        points = [(d, v) for d, day in sorted(days.items()) if (v := day[item.key]) is not None]
        if not points and usual is None:
            continue
        flags = [(d, urgency) for d, symptom, urgency in flag_days if symptom == item.key]
        charts.append(symptom_chart(item, points, usual, today=end, flags=flags))
    return charts


def _waiting(patient):
    """What waits for the team, from any day: the episodes not resolved, most urgent
    and oldest first, each with its newest flag and number of check-ins."""
    return list(
        patient.episodes.filter(status__in=[OPEN, ACKNOWLEDGED], latest_flag__isnull=False)
        .select_related("latest_flag__check_in")
        .order_by("-urgency_rank", "opened_at", "pk")
    )
