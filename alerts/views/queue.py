"""The triage queue, most urgent first, and the list of missed check-ins."""

from django.http import HttpResponse
from django.shortcuts import render

from clinical.reminders import FOLLOW_UP_DAYS, MISSED_AFTER_DAYS
from patients.access import clinician_required, teams_of
from patients.models import RESOLVED

from .. import selectors
from ..forms import QueueFilterForm
from .paging import CountedPaginator

# Most urgent first: a page of 50 episodes is a nurse's next hour; more waits below.
QUEUE_PAGE_SIZE = 50


@clinician_required
def queue(request):
    """The triage queue; with ?partial=1, only its results region (counts and
    table), which static/js/queue.js fetches to refresh the page in place.

    With ?partial=1&since=<version> (the version the page shows, from
    selectors.queue_version), the check queue.js makes every few seconds: 204 and
    nothing rendered when the worklist has not changed since, else the region.
    The version is read before the rows, so that a change between the two reads
    shows at the next check rather than never."""
    version = selectors.queue_version(request.user)
    partial = request.GET.get("partial")
    if partial and request.GET.get("since") == version:
        return _partial_headers(HttpResponse(status=204), version)
    form = QueueFilterForm(request.GET, teams=list(teams_of(request.user)))
    values = form.values
    shown, counts = selectors.queue_episodes(request.user, **values)
    count = counts[values["urgency"]] if values["urgency"] else sum(counts.values())
    if values["status"] == RESOLVED:
        count = min(count, selectors.RESOLVED_SHOWN)
    page = CountedPaginator(shown, QUEUE_PAGE_SIZE, count=count).get_page(request.GET.get("page"))
    filters = form.query_string()
    joiner = "&" if filters else "?"
    context = {
        "form": form,
        "status": values["status"],
        "resolved_days": selectors.RESOLVED_DAYS,
        "rows": selectors.queue_rows(page),
        "version": version,
        "page": page,
        "page_url": f"{filters}{joiner}page=",
        "counts": counts,
        "count_links": form.count_links(counts),
        "refresh_url": request.path
        + (f"{filters}{joiner}page={page.number}" if page.number > 1 else filters),
    }
    if not partial:
        return render(request, "alerts/queue.html", context)
    return _partial_headers(render(request, "alerts/_queue_results.html", context), version)


def _partial_headers(response, version: str):
    response["X-Queue-Results"] = "1"  # not a login page met after the session ended
    response["X-Queue-Version"] = version
    response["Cache-Control"] = "no-store"
    return response


@clinician_required
def missed(request):
    """Missed check-ins (R16): a list for the in-hours team, not an alert."""
    return render(
        request,
        "alerts/missed.html",
        {
            "missed": selectors.missed_check_ins(user=request.user),
            "after_days": MISSED_AFTER_DAYS,
            "follow_up_days": FOLLOW_UP_DAYS,
            "several_teams": teams_of(request.user).count() > 1,
        },
    )
