from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from clinical.catalogue import BASELINE_ITEMS

from .. import audit
from ..invitations import NotSent, invite_patient
from ..models import AuditEvent, Baseline, Carer, CheckIn, Flag, Patient, Treatment
from ..privacy import ErasureRefused, erase_patient, erasure_summary


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
class PatientAdmin(audit.AuditedAdmin, admin.ModelAdmin):
    list_display = [
        "name",
        "hospital_number",
        "care_team",
        "time_zone",
        "treatment_status",
        "account",
    ]
    list_filter = ["care_team", "treatments__status", "treatments__kind"]
    search_fields = ["hospital_number", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user", "care_team"]
    autocomplete_fields = ["user"]
    inlines = [TreatmentInline, BaselineInline]
    readonly_fields = ["invited_at", "audit_trail"]
    actions = ["send_invitations", "erase"]

    def audit_patient(self, patient):
        return patient

    @admin.display(description="account")
    def account(self, patient):
        if patient.user.has_usable_password():
            return "set up"
        return f"invited {patient.invited_at:%d %b %Y}" if patient.invited_at else "not invited"

    @admin.action(description="Email an invitation to set a password")
    def send_invitations(self, request, queryset):
        sent, failed = 0, []
        for patient in queryset.select_related("user", "care_team"):
            try:
                invite_patient(patient)
                sent += 1
                audit.record(
                    request, "changed", patient, obj=patient, detail="invitation sent", role="admin"
                )
            except NotSent as problem:
                failed.append(f"{patient.name}: {problem}")
        self.message_user(request, f"Sent {sent} invitation{'s' if sent != 1 else ''}.")
        if failed:
            self.message_user(request, "Not sent: " + "; ".join(failed), messages.WARNING)

    @admin.display(description="treatment")
    def treatment_status(self, patient):
        treatment = patient.treatment
        return str(treatment) if treatment else "—"

    @admin.display(description="audit trail")
    def audit_trail(self, patient):
        if patient.pk is None:
            return "—"
        ref = audit.patient_ref(patient.pk)
        url = reverse("admin:patients_auditevent_changelist") + f"?patient_ref={ref}"
        return format_html('<a href="{}">Events about this patient</a> (reference {})', url, ref)

    # Erasure: one patient at a time, after a confirmation page; the admin's Delete
    # leads there too, since deleting a patient is erasing them.

    def get_urls(self):
        erase = path(
            "<path:object_id>/erase/",
            self.admin_site.admin_view(self.erase_view),
            name="patients_patient_erase",
        )
        return [erase, *super().get_urls()]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Erase patient (all their data, for good)", permissions=["delete"])
    def erase(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select one patient at a time to erase.", messages.ERROR)
            return None
        return redirect("admin:patients_patient_erase", queryset.get().pk)

    def delete_view(self, request, object_id, extra_context=None):
        return redirect("admin:patients_patient_erase", object_id)

    def erase_view(self, request, object_id):
        """GET: what erasing would delete and keep. POST: erase, once the admin has
        typed the patient's hospital number."""
        patient = self.get_object(request, unquote(object_id))
        if patient is None:
            raise Http404("No such patient.")
        if not self.has_delete_permission(request, patient):
            raise PermissionDenied
        typed = request.POST.get("hospital_number", "").strip()
        problem = ""
        if request.method == "GET":
            audit.record(
                request, "viewed", patient, obj=patient, detail="erasure page", role="admin"
            )
        if request.method == "POST":
            if typed != patient.hospital_number:
                problem = "Type the patient's hospital number exactly to confirm."
            else:
                try:
                    event = erase_patient(patient, request)
                except ErasureRefused as refused:
                    problem = str(refused)
                else:
                    self.message_user(
                        request,
                        "The patient and all their data are erased. The audit trail keeps "
                        f"its events under reference {event.patient_ref}, with no name.",
                        messages.SUCCESS,
                    )
                    return redirect("admin:patients_patient_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Erase patient",
            "object": patient,
            "summary": erasure_summary(patient),
            "kept": AuditEvent.objects.filter(patient_id=patient.pk).count(),
            "patient_ref": audit.patient_ref(patient.pk),
            "problem": problem,
        }
        return TemplateResponse(
            request,
            "admin/patients/patient/erase_confirmation.html",
            context,
            status=400 if problem else 200,
        )


@admin.register(CheckIn)
class CheckInAdmin(audit.AuditedAdmin, admin.ModelAdmin):
    list_display = ["submitted_at", "patient", "urgency", "entered_by", "evaluated_at"]
    list_filter = ["urgency", "entered_by", "patient__care_team"]
    search_fields = ["patient__hospital_number", "patient__user__last_name"]
    date_hierarchy = "submitted_at"
    list_select_related = ["patient__user"]

    def has_change_permission(self, request, obj=None):
        return False  # a check-in is a clinical record: what the patient said stays as said

    def has_delete_permission(self, request, obj=None):
        # Nor is it deleted one at a time: its flags make up episodes the team works
        # from (Episode.latest_flag, flag_count). A patient's whole record goes by erasure.
        return False

    def audit_patient(self, check_in):
        return check_in.patient_id


@admin.register(Carer)
class CarerAdmin(audit.AuditedAdmin, admin.ModelAdmin):
    """Carers are invited and removed by the patient; admins can see and remove access."""

    list_display = ["name", "email", "patient", "status", "invited_at", "accepted_at", "revoked_at"]
    list_filter = ["patient__care_team"]
    search_fields = ["name", "email", "patient__hospital_number", "patient__user__last_name"]
    list_select_related = ["patient__user"]
    readonly_fields = ["patient", "name", "email", "user", "invited_at", "accepted_at"]
    actions = ["remove_access"]

    def has_add_permission(self, request):
        return False

    def audit_patient(self, carer):
        return carer.patient_id

    @admin.action(description="Remove access")
    def remove_access(self, request, queryset):
        live = list(queryset.filter(revoked_at__isnull=True))
        Carer.objects.filter(pk__in=[c.pk for c in live]).update(revoked_at=timezone.now())
        for carer in live:
            audit.record(request, "carer_revoked", carer.patient_id, obj=carer, role="admin")
        self.message_user(request, f"Removed access for {len(live)}.")


@admin.register(Flag)
class FlagAdmin(audit.AuditedAdmin, admin.ModelAdmin):
    list_display = ["created_at", "patient", "symptom", "urgency", "rule", "episode_status"]
    list_filter = ["urgency", "episode__status", "rule", "check_in__patient__care_team"]
    search_fields = [
        "check_in__patient__hospital_number",
        "check_in__patient__user__last_name",
        "symptom",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["check_in__patient__user", "episode"]
    readonly_fields = [f.name for f in Flag._meta.fields]

    @admin.display(description="patient")
    def patient(self, flag):
        return flag.check_in.patient

    @admin.display(description="episode", ordering="episode__status")
    def episode_status(self, flag):
        return flag.episode.get_status_display()

    def has_add_permission(self, request):
        return False  # flags are the worker's verdicts, never typed in

    def has_delete_permission(self, request, obj=None):
        return False  # its episode counts it and may show it (Episode.latest_flag)

    def audit_patient(self, flag):
        return flag.check_in.patient_id


@admin.register(AuditEvent)
class AuditEventAdmin(audit.AuditedAdmin, admin.ModelAdmin):
    """The audit trail, read-only. Names are looked up while the user or patient
    exists; an erased patient shows only their reference. Reading it is recorded, for
    the patients whose names it showed."""

    list_display = ["at", "actor", "actor_role", "action", "patient", "record", "detail", "ip"]
    list_filter = ["action", "actor_role", "at"]
    date_hierarchy = "at"
    search_fields = ["patient_ref", "actor_label"]
    search_help_text = "A patient reference, a hospital number, a username or a name"
    list_per_page = 100
    fields = [
        "at",
        "actor",
        "actor_role",
        "action",
        "patient",
        "patient_ref",
        "record",
        "detail",
        "ip",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        users = get_user_model().objects.filter(pk=OuterRef("actor_id"))
        patients = Patient.objects.filter(pk=OuterRef("patient_id"))
        patient_name = Concat(
            F("user__first_name"),
            Value(" "),
            F("user__last_name"),
            Value(" ("),
            F("hospital_number"),
            Value(")"),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                actor_username=Subquery(users.values("username")[:1]),
                patient_name=Subquery(patients.annotate(shown=patient_name).values("shown")[:1]),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """A reference or username as stored; a name or hospital number through the
        users and patients that still exist."""
        term = search_term.strip()
        if not term:
            return queryset, False
        people = get_user_model().objects.filter(
            Q(username__iexact=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
        )
        patients = Patient.objects.filter(Q(hospital_number__iexact=term) | Q(user__in=people))
        return queryset.filter(
            Q(patient_ref__istartswith=term)
            | Q(detail__contains=f"#{audit.term_ref(term)}")  # who searched for it
            | Q(actor_label__icontains=term)
            | Q(actor_id__in=people.values("pk"))
            | Q(patient_id__in=patients.values("pk"))
        ), False

    def audit_patient(self, event):
        return event.patient_id if self._shows_name(event) else None

    @staticmethod
    def _shows_name(event) -> bool:
        """A name only while the patient exists, and for the patient the reference names."""
        return bool(
            event.patient_id is not None
            and getattr(event, "patient_name", None)
            and event.patient_ref == audit.patient_ref(event.patient_id)
        )

    @admin.display(description="who", ordering="actor_label")
    def actor(self, event):
        name = getattr(event, "actor_username", None)
        if event.actor_label:
            return event.actor_label
        if event.actor_role in ("patient", "carer") and name:
            return name
        return "—" if event.actor_id is None else f"user #{event.actor_id} (gone)"

    @admin.display(description="patient")
    def patient(self, event):
        if event.patient_id is None:
            return "—"
        if self._shows_name(event):
            url = reverse("admin:patients_patient_change", args=[event.patient_id])
            return format_html('<a href="{}">{}</a>', url, event.patient_name)
        return f"erased ({event.patient_ref})"

    @admin.display(description="record")
    def record(self, event):
        if not event.object_type:
            return "—"
        return f"{event.object_type} #{event.object_id}"
