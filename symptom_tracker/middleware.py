import zoneinfo

from django.utils import timezone


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
    team = user.care_teams.first()
    return team.time_zone if team else None
