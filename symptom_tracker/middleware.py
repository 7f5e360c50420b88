"""Project-wide HTTP behaviour: no cached pages for someone logged in, and times in
the viewer's time zone. (Logging idle staff out is accounts.middleware.)"""

import time
import zoneinfo

from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from patients.access import teams_of


class NoStoreWhenLoggedInMiddleware:
    """A page drawn for someone logged in is kept by no cache: after logging out, or
    being logged out for inactivity, the browser's Back button must not show a
    patient's records from its cache. A response that set its own Cache-Control
    (the exports, the queue's refresh) keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


VIEWER_ZONE = "viewer_time_zone"  # session key: whose zone, which, when read
ZONE_MAX_AGE = 300  # seconds a zone kept in the session serves before it is read again


class ViewerTimezoneMiddleware:
    """Show times in the viewer's zone: a patient's own, a clinician's first team's.

    A patient's and a carer's pages (patients.access.patient_required and
    patient_or_carer) read the patient's record anyway: they activate the patient's
    own zone from it, and this middleware reads nothing for them. Any other page
    takes the zone kept in the session, read again after ZONE_MAX_AGE seconds, so
    that a new zone (the patient's or their team's) reaches it within minutes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()  # until process_view, or the patient's page, says which
        try:
            return self.get_response(request)
        finally:
            # Nothing after the response (the next request on this thread, a task run
            # in the same process) inherits this viewer's zone.
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "sets_patient_time_zone", False):
            return None
        name = cached_viewer_time_zone(request)
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        return None


def cached_viewer_time_zone(request) -> str | None:
    """The viewer's zone as the session keeps it; read and kept when missing or stale."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return None
    kept = request.session.get(VIEWER_ZONE)
    if _fresh(kept, user):
        return kept["zone"] or None
    name = viewer_time_zone(user)
    request.session[VIEWER_ZONE] = {"user": user.pk, "zone": name or "", "at": int(time.time())}
    return name


def _fresh(kept, user) -> bool:
    return (
        isinstance(kept, dict)
        and kept.get("user") == user.pk
        and 0 <= time.time() - kept.get("at", 0) < ZONE_MAX_AGE
    )


def viewer_time_zone(user) -> str | None:
    """The viewer's zone read from the database: a patient's own, else their first
    team's, else None (the server's)."""
    if not user.is_authenticated:
        return None
    patient = getattr(user, "patient", None)
    if patient is not None:
        return patient.time_zone
    return _team_zone(user)


def _team_zone(user) -> str | None:
    return teams_of(user).values_list("time_zone", flat=True).first()
