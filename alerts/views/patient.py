"""A patient for the care team: their context, charts of the last 30 days against
their usual, what waits for the team, and their check-ins."""

from django.db.models import Prefetch
from django.shortcuts import render

from clinical.catalogue import ITEMS
from patients import audit
from patients.access import clinician_required, get_patient_for_clinician
from patients.charts import legend, symptom_chart, window_start
from patients.models import ACKNOWLEDGED, OPEN, Flag


@clinician_required
def patient_timeline(request, pk):
    """A patient for the care team: context, charts of the last 30 days, the check-ins.

    A fixed number of queries however many check-ins and flags (tests assert it).
    """
    patient = get_patient_for_clinician(request.user, pk)
    audit.record(request, "viewed", patient, obj=patient, role="clinician")
    today = patient.local_date()
    check_ins = list(
        patient.check_ins.filter(local_date__gte=window_start(today))
        .select_related("entered_by_user")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=Flag.objects.select_related("episode__resolved_by")
                .with_seen()
                .most_urgent_first(),
            )
        )
    )
    # A patient who moved west can have a check-in dated after their new today.
    end = max([today, *(c.local_date for c in check_ins)])
    baseline = patient.active_baseline
    treatment = patient.treatment
    charts = _patient_charts(check_ins, baseline, end)
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
            "check_ins": check_ins,
        },
    )


def _patient_charts(check_ins, baseline, end):
    """A chart for each item answered in the window or with a recorded baseline."""
    charts = []
    for item in ITEMS:
        usual = getattr(baseline, item.key, None) if item.has_baseline else None
        points = [(c.local_date, v) for c in check_ins if (v := getattr(c, item.key)) is not None]
        if not points and usual is None:
            continue
        flags = [
            (c.local_date, f.urgency)
            for c in check_ins
            for f in c.flags.all()
            if f.symptom == item.key
        ]
        charts.append(symptom_chart(item, points, usual, today=end, flags=flags))
    return charts


def _waiting(patient):
    """What waits for the team, from any day: one row per episode, most urgent first.

    A row is (worst flag, first flag, latest flag, number of flags) of the flags of
    an episode not resolved.
    """
    flags = (
        Flag.objects.filter(check_in__patient=patient, episode__status__in=[OPEN, ACKNOWLEDGED])
        .select_related("check_in", "episode")
        .with_seen()
        .most_urgent_first()
        .order_by("created_at", "pk")
    )
    runs = {}
    for f in flags:
        runs.setdefault(f.episode_id, []).append(f)
    rows = [
        (max(run, key=lambda f: f.urgency_rank), run[0], run[-1], len(run)) for run in runs.values()
    ]
    rows.sort(key=lambda row: (-row[0].urgency_rank, row[1].created_at))
    return rows
