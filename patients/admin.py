from django.contrib import admin

from .catalogue import BASELINE_ITEMS
from .models import Baseline, CheckIn, Patient, Treatment


class TreatmentInline(admin.StackedInline):
    model = Treatment
    extra = 0


class BaselineInline(admin.TabularInline):
    model = Baseline
    extra = 0
    can_delete = False
    fields = ["created_at", "recorded_by", *(i.key for i in BASELINE_ITEMS)]
    readonly_fields = fields


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["name", "hospital_number", "care_team", "time_zone", "treatment_status"]
    list_filter = ["care_team", "treatments__status", "treatments__kind"]
    search_fields = ["hospital_number", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user", "care_team"]
    autocomplete_fields = ["user"]
    inlines = [TreatmentInline, BaselineInline]

    @admin.display(description="treatment")
    def treatment_status(self, patient):
        treatment = patient.treatment
        return str(treatment) if treatment else "—"


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["submitted_at", "patient", "urgency", "entered_by", "evaluated_at"]
    list_filter = ["urgency", "entered_by", "patient__care_team"]
    search_fields = ["patient__hospital_number", "patient__user__last_name"]
    date_hierarchy = "submitted_at"
    list_select_related = ["patient__user"]

    def has_change_permission(self, request, obj=None):
        return False  # a check-in is a clinical record: what the patient said stays as said
