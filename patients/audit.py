"""The audit trail: `record` appends one AuditEvent (patients.models) for each time
someone views or changes a patient's records, and for every alert action.

What a row keeps, and why it never needs changing (the trail is append-only):
- the actor's user id and role; the username only of clinicians and admins, whose
  accountability is the point of the trail, never of patients or carers;
- the patient's id and `patient_ref`, a keyed hash of that id: stable, and not
  reversible without the key. No name or hospital number is ever written, so an
  erased patient's rows are pseudonymous as they stand;
- the object's type and id, a short `detail` (field names, an action's kind; never
  symptom details, notes or names: callers keep to that);
- the IP address of clinicians, admins and carers (people looking at someone
  else's records); none for a patient acting on their own.
"""

from django.conf import settings
from django.contrib.admin.utils import unquote
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from base.client_address import client_address

from .access import is_clinician, is_own_record
from .models import AuditEvent, Patient

REF_SALT = "patients.audit.patient_ref"
ACTIONS = {key for key, _ in AuditEvent.ACTION_CHOICES}
ROLES = {key for key, _ in AuditEvent.ROLE_CHOICES}
STAFF_ROLES = {"clinician", "admin"}


def patient_ref(patient_id: int) -> str:
    """The pseudonym of a patient in the trail: an HMAC-SHA256 of their id.

    Keyed with AUDIT_PSEUDONYM_KEY when set, else SECRET_KEY: rotating that key
    gives the same patient a new reference from then on (their id still links
    the rows while they exist)."""
    key = getattr(settings, "AUDIT_PSEUDONYM_KEY", None) or settings.SECRET_KEY
    mac = salted_hmac(REF_SALT, str(patient_id), secret=key, algorithm="sha256")
    return mac.hexdigest()[:20]


def record(
    request_or_user,
    action: str,
    patient: Patient | int | None,
    obj=None,
    detail: str = "",
    *,
    role: str | None = None,
) -> AuditEvent:
    """Append an event: `request_or_user` acted (None: the system), on `patient`
    (a Patient, a patient id, or None for what is no one patient's, such as a
    team's contact list), about `obj` (any saved model instance).

    Call it inside the transaction that makes the change, so that both are kept or
    neither. `role` is worked out when not given: a carer acting through
    `patient_or_carer`, the patient themselves, a team member, staff.
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    request = request_or_user if isinstance(request_or_user, HttpRequest) else None
    user = request.user if request is not None else request_or_user
    if user is not None and not user.is_authenticated:
        user = None
    role = role or _role(request, user, patient)
    if role not in ROLES:
        raise ValueError(f"Unknown audit role {role!r}")
    patient_id = patient.pk if isinstance(patient, Patient) else patient
    return AuditEvent.objects.create(
        actor_id=user.pk if user is not None else None,
        actor_label=user.get_username() if user is not None and role in STAFF_ROLES else "",
        actor_role=role,
        action=action,
        patient_id=patient_id,
        patient_ref=patient_ref(patient_id) if patient_id is not None else "",
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail[:300],
        ip=client_address(request) if request is not None and role != "patient" else None,
    )


def _role(request, user, patient) -> str:
    if user is None:
        return "system"
    if request is not None and getattr(request, "carer", None) is not None:
        return "carer"
    own = patient is not None and is_own_record(user, patient)
    if own:
        return "patient"
    if is_clinician(user):
        return "clinician"
    if user.is_staff:
        return "admin"
    # The access helpers let no one else reach a patient's records.
    return "carer"


class AuditedAdmin:
    """A ModelAdmin mixin: admins' views of a change page, saves (inlines included)
    and deletions go into the trail. `audit_patient(obj)` says whose record an
    object is (None for a team's); `audit_views` whether opening it is recorded."""

    audit_views = True

    def audit_patient(self, obj):
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and self.audit_views:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_or_change_permission(request, obj):
                record(request, "viewed", self.audit_patient(obj), obj=obj, role="admin")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            action = "changed" if change else "created"
            detail = _fields(form.changed_data) if change else ""
            record(request, action, self.audit_patient(obj), obj=obj, detail=detail, role="admin")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        patient = self.audit_patient(form.instance)
        for formset in formsets:
            for obj in formset.new_objects:
                record(request, "created", patient, obj=obj, role="admin")
            for obj, fields in formset.changed_objects:
                record(request, "changed", patient, obj=obj, detail=_fields(fields), role="admin")
            for obj in formset.deleted_objects:
                # Deleted by now: its id is gone from the instance, so name the kind only.
                detail = f"deleted a {obj._meta.verbose_name}"
                record(request, "changed", patient, obj=form.instance, detail=detail, role="admin")

    def delete_model(self, request, obj):
        record(request, "deleted", self.audit_patient(obj), obj=obj, role="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record(request, "deleted", self.audit_patient(obj), obj=obj, role="admin")
        super().delete_queryset(request, queryset)


def _fields(names) -> str:
    """Which fields changed: their names, never their values."""
    return "fields: " + ", ".join(names) if names else ""
