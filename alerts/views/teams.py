"""A care team's pages: its contact list (who would be alerted, and when), the list's
editor, and the team's figures for the last 30 days.

Who may do what (patients/access.py): staff with the change_contact permission
(admins) edit any team's list and see any team's figures; a team's coordinators
edit their own team's list; the team's other members see the list and the figures.
Anyone else gets a 404, as everywhere in the app.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from clinical.routing import routing_preview
from patients import audit
from patients.access import (
    can_edit_contacts,
    is_contact_admin,
    teams_for_editing_contacts,
    teams_for_viewing,
)
from patients.forms.contacts import (
    HOURS_EXAMPLE,
    ContactListRefused,
    contact_list_formset,
    save_contact_list,
)
from patients.models import CHANNEL_KINDS

from ..figures import WINDOW_DAYS
from ..services.figures import team_figures


@login_required
def contact_list(request, pk):
    team = get_object_or_404(teams_for_viewing(request.user), pk=pk)
    contacts = team.contacts.prefetch_related("hours", "broken_channels")
    errors = team.contact_list_errors()
    return render(
        request,
        "alerts/contacts.html",
        {
            "team": team,
            "rows": [(c, _channels(c)) for c in contacts],
            "problems": [(p, p in errors) for p in team.contact_list_problems()],
            "preview": routing_preview(team.contact_specs(), team.tz, timezone.now()),
            "can_edit": can_edit_contacts(request.user, team),
        },
    )


def _channels(contact) -> list[tuple[str, str, object]]:
    """(channel name, address, its BrokenChannel or None) for each alert address."""
    broken = {b.channel: b for b in contact.broken_channels.all()}
    names = dict(CHANNEL_KINDS)
    return [(names[kind], address, broken.get(kind)) for kind, address in contact.addresses()]


@login_required
def edit_contacts(request, pk):
    """The team's contact list as one form. "Preview" shows whom the list as submitted
    would alert, without saving; "Save" saves all of it, or nothing."""
    team = get_object_or_404(teams_for_editing_contacts(request.user), pk=pk)
    if request.method != "POST":
        return _editor(request, team, contact_list_formset(team))
    formset = contact_list_formset(team, request.POST)
    if not formset.is_valid():
        return _editor(request, team, formset, status=400)
    if "preview" in request.POST:
        return _editor(request, team, formset, preview_specs=formset.specs())
    try:
        with transaction.atomic():
            save_contact_list(formset)
            changed = sum(1 for form in formset.forms if form.has_changed())
            role = "admin" if is_contact_admin(request.user) else "clinician"
            detail = f"contact list: {changed} contact{'s' if changed != 1 else ''} changed"
            audit.record(request, "changed", None, obj=team, detail=detail, role=role)
    except ContactListRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
        return _editor(request, team, formset, status=400)
    messages.success(request, f"The contact list of {team} is saved.")
    return redirect("alerts:contacts", pk=team.pk)


def _editor(request, team, formset, preview_specs=None, status=200):
    specs = team.contact_specs() if preview_specs is None else preview_specs
    return render(
        request,
        "alerts/contacts_edit.html",
        {
            "team": team,
            "formset": formset,
            "preview": routing_preview(specs, team.tz, timezone.now()),
            "previewing": preview_specs is not None,
            "hours_example": HOURS_EXAMPLE,
        },
        status=status,
    )


@login_required
def team_figures_page(request, pk):
    """A team's last 30 days in figures, for its clinicians (404 for anyone else):
    read from the rows the worker keeps, one a day (alerts/services/figures.py)."""
    team = get_object_or_404(teams_for_viewing(request.user), pk=pk)
    return render(
        request,
        "alerts/figures.html",
        {"team": team, "figures": team_figures(team=team), "window_days": WINDOW_DAYS},
    )
