"""A care team's contact list in the app: the list, its editor, and who would be alerted.

Who may do what: staff with the change_contact permission (admins) edit any team's list,
a team's coordinators edit their own team's; the team's other members see it read-only.
Anyone else gets a 404, as everywhere in the app.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from clinical.routing import ContactSpec, Route, route
from clinical.urgency import AMBER, RED
from patients import audit
from patients.models import CHANNEL_KINDS, CareTeam

from .contact_forms import (
    HOURS_EXAMPLE,
    ContactListRefused,
    contact_list_formset,
    save_contact_list,
)

EDITOR_ROLE = "coordinator"


# Who may see and edit a team's contact list


def is_contact_admin(user) -> bool:
    return user.is_authenticated and user.is_staff and user.has_perm("patients.change_contact")


def teams_for_viewing_contacts(user):
    if is_contact_admin(user):
        return CareTeam.objects.all()
    return CareTeam.objects.filter(memberships__user=user)


def teams_for_editing_contacts(user):
    if is_contact_admin(user):
        return CareTeam.objects.all()
    return CareTeam.objects.filter(memberships__user=user, memberships__role=EDITOR_ROLE)


def can_edit_contacts(user, team: CareTeam) -> bool:
    return teams_for_editing_contacts(user).filter(pk=team.pk).exists()


# Who would be alerted


@dataclass(frozen=True)
class PreviewRow:
    label: str
    at: datetime
    red: Route | None
    amber: Route | None

    @property
    def routes(self) -> tuple[Route | None, Route | None]:
        return self.red, self.amber


def preview_instants(now: datetime, tz: ZoneInfo) -> list[tuple[str, datetime]]:
    """Now, the next 02:00, the next Saturday 14:00 and the next Monday 09:00, all on
    the team's wall clock (a time skipped by a clock change is read after the change)."""
    local = now.astimezone(tz)
    return [
        ("Now", now.astimezone(UTC)),
        ("Tonight, 02:00", _next_local(local, time(2))),
        ("Saturday, 14:00", _next_local(local, time(14), weekday=5)),
        ("Monday, 09:00", _next_local(local, time(9), weekday=0)),
    ]


def _next_local(local: datetime, at: time, weekday: int | None = None) -> datetime:
    for offset in range(8):
        day: date = local.date() + timedelta(days=offset)
        candidate = datetime.combine(day, at, tzinfo=local.tzinfo)
        if (weekday is None or day.weekday() == weekday) and candidate > local:
            return candidate.astimezone(UTC)
    raise AssertionError("every weekday comes within eight days")


def routing_preview(specs: list[ContactSpec], tz: ZoneInfo, now: datetime) -> list[PreviewRow]:
    """Who `route` would alert for red and for amber at each instant of the preview,
    soonest first."""
    return [
        PreviewRow(label, at, route(specs, RED, at, tz), route(specs, AMBER, at, tz))
        for label, at in sorted(preview_instants(now, tz), key=lambda instant: instant[1])
    ]


# The pages


@login_required
def contact_list(request, pk):
    team = get_object_or_404(teams_for_viewing_contacts(request.user), pk=pk)
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
