from django.conf import settings

from accounts.middleware import staff_idle_timeout
from accounts.two_factor import second_factor_required
from patients.access import teams_of

from .preferences import TEXT_SIZES, text_size


def site(request):
    awaiting_code = awaiting_second_factor(request)
    return {
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "INVITATION_MAX_AGE_DAYS": settings.INVITATION_MAX_AGE_DAYS,
        # No menu between the password and the code: its links would only lead back
        # to the second-factor page, and show what the person may reach before it.
        "awaiting_second_factor": awaiting_code,
        "nav_teams": [] if awaiting_code else _teams(request),
        # Set by patients.access.patient_or_carer while a carer acts for a patient.
        "carer_link": getattr(request, "carer", None),
        "text_size": text_size(request),
        "TEXT_SIZES": TEXT_SIZES,
        "staff_idle_timeout": staff_idle_timeout(request),  # static/js/idle.js
    }


def _teams(request):
    """The clinician's teams, for the menu (evaluated only when a page uses it)."""
    user = getattr(request, "user", None)
    return [] if user is None else teams_of(user)


def awaiting_second_factor(request) -> bool:
    """Logged in with a password, and a clinician's or admin's code still to give."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified and is_verified()) and second_factor_required(request)
