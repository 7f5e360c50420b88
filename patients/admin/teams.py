"""The admin of care teams and their contact lists."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from clinical.routing import ALWAYS, ContactSpec, contact_list_errors

from ..audit import AuditedAdmin
from ..models import BrokenChannel, CareTeam, Contact, ContactHours, TeamMembership


def _spec(data: dict) -> ContactSpec:
    """Enough of a contact, from form data, to check the list's shape."""
    handles = {
        u for u, key in (("amber", "handles_amber"), ("red", "handles_red")) if data.get(key)
    }
    return ContactSpec(
        data.get("name") or "",
        frozenset(handles),
        data.get("order") or 0,
        ALWAYS if data.get("always_on_duty") else (),
    )


class ContactInlineFormSet(BaseInlineFormSet):
    """A team's contact list must keep a 24/7 contact for red, and distinct orders."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        specs = [
            _spec(form.cleaned_data)
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("active", True)
        ]
        errors = contact_list_errors(specs)
        if errors:
            raise ValidationError(errors)


class ContactInline(admin.TabularInline):
    model = Contact
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


@admin.register(CareTeam)
class CareTeamAdmin(AuditedAdmin, admin.ModelAdmin):
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


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["team", "order", *Contact.EDITABLE_FIELDS, "active"]

    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team")
        if team is None or self.errors:
            return cleaned
        others = team.contacts.filter(active=True).exclude(pk=self.instance.pk)
        specs = [c.spec() for c in others.prefetch_related("hours")]
        if cleaned.get("active", True):
            specs.append(_spec(cleaned))
        errors = contact_list_errors(specs)
        left = self.instance.team if self.instance.pk else None
        if left is not None and left != team:
            # Moving a contact away must not leave its old team without a 24/7 red contact.
            remaining = left.contacts.filter(active=True).exclude(pk=self.instance.pk)
            errors += [
                f"{left}: {e}"
                for e in contact_list_errors(
                    [c.spec() for c in remaining.prefetch_related("hours")]
                )
            ]
        if errors:
            raise ValidationError(errors)
        return cleaned


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
