"""The admin of care teams and their contact lists."""

from django import forms
from django.contrib import admin, messages

from base.validators import validate_names_of
from clinical.routing import contact_list_errors

from ..audit import AuditedAdmin
from ..forms.contacts import ContactForm, ContactInlineForm, ContactInlineFormSet
from ..models import BrokenChannel, CareTeam, Contact, ContactHours, TeamMembership


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactInlineForm
    formset = ContactInlineFormSet
    extra = 1
    fields = [
        "order",
        "name",
        "role",
        "phone",
        "email",
        "sms_number",
        "handles_amber",
        "handles_red",
        "always_on_duty",
        "active",
    ]
    show_change_link = True


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


class CareTeamForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        validate_names_of(self, "name")


@admin.register(CareTeam)
class CareTeamAdmin(AuditedAdmin, admin.ModelAdmin):
    form = CareTeamForm
    list_display = ["name", "time_zone", "contact_count", "problems"]
    search_fields = ["name"]
    inlines = [MembershipInline, ContactInline]
    audit_views = False  # changes to members and contact lists are recorded; views are not

    @admin.display(description="contacts")
    def contact_count(self, team):
        return team.contacts.filter(active=True).count()

    @admin.display(description="contact list")
    def problems(self, team):
        return " ".join(team.contact_list_problems()) or "OK"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        team = self.get_object(request, object_id)
        if team is not None and request.method == "GET":
            for problem in team.contact_list_problems():
                messages.warning(request, problem)
        return super().change_view(request, object_id, form_url, extra_context)


class ContactHoursInline(admin.TabularInline):
    model = ContactHours
    extra = 1


class BrokenChannelInline(admin.TabularInline):
    """Channels that failed permanently; correcting the address (or deleting the
    row here) lets alerts use the channel again."""

    model = BrokenChannel
    extra = 0
    readonly_fields = ["channel", "since", "error"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(AuditedAdmin, admin.ModelAdmin):
    form = ContactForm
    audit_views = False
    list_display = [
        "name",
        "team",
        "order",
        "phone",
        "handles_amber",
        "handles_red",
        "always_on_duty",
        "active",
    ]
    list_filter = ["team", "handles_red", "handles_amber", "always_on_duty", "active"]
    search_fields = ["name", "role", "phone", "email", "team__name"]
    inlines = [ContactHoursInline, BrokenChannelInline]
    readonly_fields = ["webhook_secret"]

    def get_actions(self, request):
        # Bulk deletion would skip the contact-list check; delete one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        """No deleting the contact a team's list cannot do without (untick active first
        to see why)."""
        if obj is not None:
            remaining = obj.team.contacts.filter(active=True).exclude(pk=obj.pk)
            if contact_list_errors([c.spec() for c in remaining.prefetch_related("hours")]):
                return False
        return super().has_delete_permission(request, obj)
