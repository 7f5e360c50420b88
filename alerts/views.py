from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import render

from clinical.catalogue import BY_KEY, ITEMS
from patients import audit
from patients.access import clinician_required, get_patient_for_clinician
from patients.charts import legend, symptom_chart, window_start
from patients.models import Flag, Treatment

from . import selectors


def flags_for(user):
    """Flags of the patients of the clinician's teams, with what a row shows."""
    return (
        Flag.objects.filter(check_in__patient__care_team__memberships__user=user)
        .select_related(
            "check_in__patient__user", "check_in__patient__care_team", "check_in__baseline"
        )
        .prefetch_related(
            Prefetch(
                "check_in__patient__treatments",
                queryset=Treatment.objects.order_by("-start_date", "-pk"),
            )
        )
    )


# Most urgent first: a page of 50 episodes is a nurse's next hour; more waits below.
QUEUE_PAGE_SIZE = 50


@clinician_required
def queue(request):
    """The triage queue; with ?partial=1, only its results region (counts and
    table), which static/js/queue.js fetches to refresh the page in place."""
    form = selectors.QueueFilterForm(request.GET, teams=list(request.user.care_teams.all()))
    shown, counts = selectors.queue_flags(flags_for(request.user), **form.values)
    page = Paginator(shown, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = form.query_string()
    joiner = "&" if filters else "?"
    context = {
        "form": form,
        "status": form.values["status"],
        "rows": [(flag, BY_KEY.get(flag.symptom), _treatment(flag)) for flag in page],
        "page": page,
        "page_url": f"{filters}{joiner}page=",
        "counts": counts,
        "count_links": form.count_links(counts),
        "refresh_url": request.path
        + (f"{filters}{joiner}page={page.number}" if page.number > 1 else filters),
    }
    if not request.GET.get("partial"):
        return render(request, "alerts/queue.html", context)
    response = render(request, "alerts/_queue_results.html", context)
    response["X-Queue-Results"] = "1"  # not a login page met after the session ended
    response["Cache-Control"] = "no-store"
    return response


def _treatment(flag):
    treatments = flag.check_in.patient.treatments.all()
    return treatments[0] if treatments else None


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
                queryset=Flag.objects.select_related(
                    "acknowledged_by", "resolved_by"
                ).most_urgent_first(),
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

    A row is (worst flag, first flag, latest flag, number of flags) of an episode's
    open and acknowledged flags; a flag with no episode is a row of its own.
    """
    flags = (
        Flag.objects.filter(check_in__patient=patient, status__in=["open", "acknowledged"])
        .select_related("check_in")
        .most_urgent_first()
        .order_by("created_at", "pk")
    )
    runs = {}
    for f in flags:
        runs.setdefault(f.episode_id or -f.pk, []).append(f)
    rows = [
        (max(run, key=lambda f: f.urgency_rank), run[0], run[-1], len(run)) for run in runs.values()
    ]
    rows.sort(key=lambda row: (-row[0].urgency_rank, row[1].created_at))
    return rows


@clinician_required
def missed(request):
    """Missed check-ins (R16): a list for the in-hours team, not an alert."""
    return render(
        request,
        "alerts/missed.html",
        {
            "missed": selectors.missed_check_ins(user=request.user),
            "after_days": selectors.MISSED_AFTER_DAYS,
            "follow_up_days": selectors.FOLLOW_UP_DAYS,
            "several_teams": request.user.care_teams.count() > 1,
        },
    )
