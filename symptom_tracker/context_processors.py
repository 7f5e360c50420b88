from django.conf import settings


def site(request):
    return {"EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER, "nav_teams": _teams(request)}


def _teams(request):
    """The clinician's teams, for the menu (evaluated only when a page uses it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return user.care_teams.all()
