"""My history: the patient's charts of the last 30 days against their usual, and
their check-ins, each saying whether the team has seen it."""

from functools import partial

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import render

from clinical.catalogue import ITEMS, WELLBEING
from clinical.urgency import GREEN

from .. import audit
from ..access import patient_or_carer
from ..charts import legend, summarise, symptom_chart, window_start
from ..models import Flag
from ..services.advice import advice_for
from ..services.open_alarm import open_alarm_context
from ..templatetags.symptoms import acting_for
from ..templatetags.symptoms import words as in_words


@patient_or_carer
def check_in_list(request, patient):
    """My history: charts of the last 30 days against the usual, then the check-ins.

    Each flagged check-in says whether the team has seen it, never who or why.
    A fixed number of queries however many check-ins and flags (tests assert it).
    """
    if request.carer:
        audit.record(request, "viewed", patient, obj=patient, detail="history")
    flags = Flag.objects.select_related("episode").with_seen()
    check_ins = patient.check_ins.select_related("entered_by_user", "baseline").prefetch_related(
        Prefetch("flags", queryset=flags.order_by("pk"))
    )
    page = Paginator(check_ins, 20).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for c in page.object_list:
        flags = list(c.flags.all())
        c.flagged = bool(flags)
        c.team_seen = bool(flags) and all(f.status != "open" for f in flags)
        seen = [t for f in flags if (t := f.acknowledged_at or f.resolved_at)]
        c.seen_at = max(seen) if c.team_seen and seen else None
    return render(
        request,
        "patients/check_in_list.html",
        {
            "page": page,
            "time_zone": patient.time_zone,
            "urgent_line": advice_for(patient, GREEN).urgent_line,
            **open_alarm_context(patient),  # an open red or emergency leads (issue 13)
            **_history_charts(patient, who=acting_for(request.carer)),
        },
    )


def _history_charts(patient, *, who=None) -> dict:
    """The patient's charts of the last 30 days (patients/charts.py), with plain words.

    A chart for each item answered in the window or with a usual recorded, as the
    care team sees it; then only those that show something are drawn (`summarise`):
    a warning sign answered no every day, a symptom at the usual every day, or one
    not answered, is named in a line instead (issue 13, item 12). `worst` is the day
    to mention, `legend` the key in plain words (`who`: the patient's first name,
    for a carer). No query per chart: two reads, whatever the number of items.
    """

    today = patient.local_date()
    start = window_start(today)
    recent = list(patient.check_ins.filter(local_date__gte=start).order_by("submitted_at", "pk"))
    flags = list(
        Flag.objects.filter(check_in__patient=patient, check_in__local_date__gte=start).values_list(
            "check_in__local_date", "symptom", "urgency"
        )
    )
    # A patient who moved west can have a check-in dated after their new today.
    end = max([today, *(c.local_date for c in recent)])
    baseline = patient.active_baseline
    charts = []
    for item in ITEMS:
        usual = getattr(baseline, item.key, None) if item.has_baseline else None
        points = [(c.local_date, v) for c in recent if (v := getattr(c, item.key)) is not None]
        if not points and usual is None:
            continue
        item_flags = [(day, urgency) for day, symptom, urgency in flags if symptom == item.key]
        charts.append(
            symptom_chart(
                item, points, usual, today=end, flags=item_flags, tick_words=partial(in_words, item)
            )
        )
    summary = summarise(charts)
    words = {
        "mark-none": f"{who}'s answer" if who else "your answer",
        "mark-amber": "Amber: today",
        "mark-red": "Red: urgent",
        "mark-emergency": "Emergency",
        "mark-no": "answered no" if who else "you answered no",
    }
    return {
        "window": (window_start(end), end),
        "any_answers": bool(charts),
        "line_charts": [_entry(c) for c in summary.changed],
        "mark_charts": [_entry(c) for c in summary.signs],
        "at_usual": [c.item for c in summary.at_usual],
        "unanswered": [c.item for c in summary.unanswered],
        "quiet_signs": [c.item for c in summary.quiet_signs],
        "legend": [(css, path, words[css]) for css, path, _ in legend()],
    }


def _entry(chart) -> dict:
    """A drawn chart with the days its words mention."""
    answered = chart.answered
    worst = None
    if answered and not chart.marks_only:
        pick = min if chart.item.kind == WELLBEING else max
        worst_value = pick(d.value for d in answered)
        worst = [d for d in answered if d.value == worst_value][-1]
    return {
        "chart": chart,
        "worst": worst,
        "latest": answered[-1] if answered else None,
        "yes_days": [d for d in answered if d.value is True],
    }
