"""Project-wide HTTP behaviour: no cached pages for someone logged in, and times in
the viewer's time zone. (Logging idle staff out is accounts.middleware.)"""

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


class ViewerTimezoneMiddleware:
    """Show times in the viewer's zone: a patient's own, a clinician's first team's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = viewer_time_zone(request.user)
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return self.get_response(request)


def viewer_time_zone(user) -> str | None:
    if not user.is_authenticated:
        return None
    patient = getattr(user, "patient", None)
    if patient is not None:
        return patient.time_zone
    team = teams_of(user).first()
    return team.time_zone if team else None
