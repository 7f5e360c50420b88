from django.conf import settings

from accounts.middleware import staff_idle_timeout
from patients.access import teams_of

from .preferences import TEXT_SIZES, text_size


def site(request):
    return {
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "INVITATION_MAX_AGE_DAYS": settings.INVITATION_MAX_AGE_DAYS,
        "nav_teams": _teams(request),
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
