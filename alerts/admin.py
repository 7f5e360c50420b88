from django.contrib import admin

from patients.audit import AuditedAdmin

from .models import Alert, DeliveryAttempt, Notification


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
    list_display = ["created_at", "check_in", "urgency", "contact", "level", "answered"]
    list_filter = ["urgency", "level"]
    list_select_related = ["check_in__patient__user", "contact"]
    readonly_fields = [*(f.name for f in Alert._meta.fields), "answered"]
    inlines = [NotificationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_answered_at()

    def has_add_permission(self, request):
        return False  # raised by the worker for a check-in, never typed in

    def has_delete_permission(self, request, obj=None):
        return False  # the record of who was told what, and when

    @admin.display(description="acknowledged", ordering="answered_at")
    def answered(self, alert):
        """When the last of its flags was acknowledged (their episodes say)."""
        return alert.answered_at

    def audit_patient(self, alert):
        return alert.check_in.patient_id


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["started_at", "finished_at", "ok", "error"]


@admin.register(Notification)
class NotificationAdmin(AuditedAdmin, admin.ModelAdmin):
    """Its list shows the team's contacts and how delivery went, no patient data (its
    page, which names the alert's check-in, is recorded)."""

    audit_lists = False
    list_display = ["created_at", "contact", "channel", "address", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "contact__team"]
    search_fields = ["address", "contact__name"]
    list_select_related = ["contact"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False  # written with its alert, never typed in

    def has_delete_permission(self, request, obj=None):
        return False  # the record of who was told what, and when

    def audit_patient(self, notification):
        return notification.alert.check_in.patient_id
