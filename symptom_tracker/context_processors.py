from django.conf import settings

from .preferences import TEXT_SIZES, text_size
from .two_factor import second_factor_required


def site(request):
    return {
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "INVITATION_MAX_AGE_DAYS": settings.INVITATION_MAX_AGE_DAYS,
        "nav_teams": _teams(request),
        # Set by patients.access.patient_or_carer while a carer acts for a patient.
        "carer_link": getattr(request, "carer", None),
        "text_size": text_size(request),
        "TEXT_SIZES": TEXT_SIZES,
        "staff_idle_timeout": _staff_idle_timeout(request),
    }


def _staff_idle_timeout(request) -> int | None:
    """Seconds after which a clinician's or admin's page leaves the screen (static/js/idle.js)."""
    timeout = settings.STAFF_IDLE_TIMEOUT_SECONDS
    if timeout <= 0 or getattr(request, "user", None) is None:
        return None
    return timeout if second_factor_required(request) else None


def _teams(request):
    """The clinician's teams, for the menu (evaluated only when a page uses it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return user.care_teams.all()
