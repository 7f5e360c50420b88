from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from clinical.routing import ALWAYS, ContactSpec, contact_list_errors
from patients.audit import AuditedAdmin

from .models import (
    Alert,
    BrokenChannel,
    CareTeam,
    Contact,
    ContactHours,
    DeliveryAttempt,
    Flag,
    Notification,
    TeamMembership,
)


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


@admin.register(Flag)
class FlagAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["created_at", "patient", "symptom", "urgency", "rule", "status"]
    list_filter = ["urgency", "status", "rule", "check_in__patient__care_team"]
    search_fields = [
        "check_in__patient__hospital_number",
        "check_in__patient__user__last_name",
        "symptom",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["check_in__patient__user"]
    readonly_fields = [f.name for f in Flag._meta.fields]

    @admin.display(description="patient")
    def patient(self, flag):
        return flag.check_in.patient

    def audit_patient(self, flag):
        return flag.check_in.patient_id


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    readonly_fields = [
        "contact",
        "channel",
        "address",
        "level",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    fields = readonly_fields


@admin.register(Alert)
class AlertAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["created_at", "check_in", "urgency", "contact", "level", "acknowledged_at"]
    list_filter = ["urgency", "level"]
    list_select_related = ["check_in__patient__user", "contact"]
    readonly_fields = [f.name for f in Alert._meta.fields]
    inlines = [NotificationInline]

    def audit_patient(self, alert):
        return alert.check_in.patient_id


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["started_at", "finished_at", "ok", "error"]


@admin.register(Notification)
class NotificationAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["created_at", "contact", "channel", "address", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "contact__team"]
    search_fields = ["address", "contact__name"]
    list_select_related = ["contact"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    inlines = [AttemptInline]

    def audit_patient(self, notification):
        return notification.alert.check_in.patient_id
