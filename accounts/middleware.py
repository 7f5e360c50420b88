"""Logging idle clinicians and admins out."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse

from .two_factor import OPEN_VIEWS, is_background, second_factor_required

LAST_ACTIVITY = "last_activity"  # session key: when the staff member last asked for a page


def staff_idle_timeout(request) -> int | None:
    """Seconds without activity after which this request's user is logged out: a
    clinician or an admin, when the timeout is on; None for anyone else."""
    timeout = settings.STAFF_IDLE_TIMEOUT_SECONDS
    if timeout <= 0 or getattr(request, "user", None) is None:
        return None
    return timeout if second_factor_required(request) else None


class StaffIdleTimeoutMiddleware:
    """Log a clinician or admin out after STAFF_IDLE_TIMEOUT_SECONDS without activity.

    A screen left open on a ward shows patients' records to whoever walks past.
    Activity is a page the person asked for: the triage queue's check for anything
    new every 3 s and its refresh every 30 s (`?partial=1`, static/js/queue.js) are
    not, so a queue left on screen times out too; its next request gets a 401, and
    queue.js reloads the page, which goes to the login page and from there back to
    the queue. Patients and carers keep Django's usual session. It acts once the URL
    is resolved, so that the pages open to anyone (the login page itself, logging
    out) are served as they are.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        timeout = staff_idle_timeout(request)
        if timeout is None:
            return None
        now = int(time.time())
        last = request.session.get(LAST_ACTIVITY)
        if last is not None and now - last > timeout:
            self.log_out(request, timeout)
            if request.resolver_match.view_name in OPEN_VIEWS:
                return None
            if is_background(request):
                response = HttpResponse("Logged out after inactivity.", status=401)
                response["X-Session-Ended"] = "1"
                return response
            return redirect_to_login(request.get_full_path())
        if last is None or not is_background(request):
            request.session[LAST_ACTIVITY] = now
        return None

    def log_out(self, request, timeout):
        logout(request)
        minutes = max(1, round(timeout / 60))
        messages.info(
            request,
            f"You were logged out after {minutes} minute{'s' if minutes != 1 else ''} "
            "without activity. Log in again to carry on.",
        )
