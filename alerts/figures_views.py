from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from patients.models import CareTeam

from .contact_views import is_contact_admin
from .figures import WINDOW_DAYS, team_figures


def teams_for(user):
    """The teams whose figures a user may see: their own; every team for admins
    (the same rule as for contact lists)."""
    if is_contact_admin(user):
        return CareTeam.objects.all()
    return CareTeam.objects.filter(memberships__user=user)


@login_required
def team_figures_page(request, pk):
    """A team's last 30 days in figures, for its clinicians (404 for anyone else)."""
    team = get_object_or_404(teams_for(request.user), pk=pk)
    return render(
        request,
        "alerts/figures.html",
        {"team": team, "figures": team_figures(team=team), "window_days": WINDOW_DAYS},
    )
