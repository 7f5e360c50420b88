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

Admin pages that show patient data are recorded as they are opened: change pages,
history and erasure pages, and lists and searches (`record_listing`: one row for
each patient the page showed, or one with no patient when it showed none). A search
term or filter value that may be a name is kept only as a keyed hash (`term_ref`),
which the trail's own search matches, so "who searched for Morgan?" has an answer
without the trail holding the word.
"""

from django.conf import settings
from django.contrib.admin.utils import unquote
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from base.client_address import client_address
from base.rows import insert

from .access import is_clinician, is_own_record
from .models import AuditEvent, Patient

REF_SALT = "patients.audit.patient_ref"
TERM_SALT = "patients.audit.term_ref"
# Query parameters of an admin list that are not filters.
_NOT_FILTERS = {"q", "o", "p", "e", "_popup", "_to_field", "_changelist_filters", "all"}
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


def term_ref(term: str) -> str:
    """The pseudonym of a search term or filter value in the trail: a keyed hash of it,
    ignoring case and surrounding spaces (AUDIT_PSEUDONYM_KEY, else SECRET_KEY)."""
    key = getattr(settings, "AUDIT_PSEUDONYM_KEY", None) or settings.SECRET_KEY
    mac = salted_hmac(TERM_SALT, term.strip().casefold(), secret=key, algorithm="sha256")
    return mac.hexdigest()[:16]


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
    made = event(request_or_user, action, patient, obj, detail, role=role)
    insert(made)  # a new row only (AuditEvent.save's rule), by a statement written once
    return made


def event(
    request_or_user,
    action: str,
    patient: Patient | int | None,
    obj=None,
    detail: str = "",
    *,
    role: str | None = None,
) -> AuditEvent:
    """The event `record` appends, not saved: for a caller that writes it in the same
    statement as the row it is about (base.rows.insert_pair; `obj` not saved yet
    leaves `object_id` to that)."""
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
    return AuditEvent(
        actor_id=user.pk if user is not None else None,
        actor_label=user.get_username() if user is not None and role in STAFF_ROLES else "",
        actor_role=role,
        action=action,
        patient_id=patient_id,
        patient_ref=patient_ref(patient_id) if patient_id is not None else "",
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        detail=detail[:300],
        ip=client_address(request) if request is not None and role != "patient" else None,
    )


def record_listing(request, patients, *, model, detail: str) -> list[AuditEvent]:
    """Append that an admin was shown a list of `model` (a model class) holding
    `patients` (ids, in the order shown): one "viewed" row for each patient, or one
    with no patient when the list held none. `detail` says what was listed or searched,
    never a name: callers pass search terms through `term_ref`."""
    user = request.user
    ids = list(dict.fromkeys(p for p in patients if p is not None)) or [None]
    common = {
        "actor_id": user.pk,
        "actor_label": user.get_username(),
        "actor_role": "admin",
        "action": "viewed",
        "object_type": model._meta.label_lower,
        "detail": detail[:300],
        "ip": client_address(request),
    }
    return AuditEvent.objects.bulk_create(
        AuditEvent(patient_id=pk, patient_ref=patient_ref(pk) if pk else "", **common) for pk in ids
    )


def listing_detail(model_admin, request, *, shown: int, total: int | None) -> str:
    """What an admin list showed, without names: the model, how many rows, the page,
    the search term's and the filter values' pseudonyms (ids and choice keys in clear)."""
    parts = [f"admin list of {model_admin.opts.verbose_name_plural}"]
    if total is not None:
        parts[0] += f": {shown} of {total} shown"
    params = request.GET
    if params.get("p", "1") not in ("", "1"):
        parts.append(f"page {params['p'][:8]}")
    term = params.get("q", "").strip()
    if term:
        parts.append(f"search #{term_ref(term)}")
    choices = _choice_keys(model_admin.model)
    filters = [
        f"{name[:60]}={_shown_value(name, value, choices)}"
        for name, value in sorted(params.items())
        if name not in _NOT_FILTERS
    ]
    if filters:
        parts.append("filters: " + ", ".join(filters))
    return "; ".join(parts)


def _choice_keys(model) -> set[str]:
    return {str(key) for f in model._meta.fields for key, _ in (f.flatchoices or ())}


# Filters whose value is a row's id or a date's part: kept in clear.
_NUMBER_FILTERS = ("id__exact", "__id", "__pk", "__year", "__month", "__day")


def _shown_value(name: str, value: str, choices: set[str]) -> str:
    """A filter's value as the trail keeps it: an id, a date's part or a choice key as
    it is; anything else (a hospital number, digits or not; a name) as its pseudonym."""
    number = value.isdigit() and len(value) <= 12 and name.endswith(_NUMBER_FILTERS)
    if number or value in choices or value in ("True", "False", "0", "1"):
        return value
    return f"#{term_ref(value)}"


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
    """A ModelAdmin mixin: admins' views of a change, history or deletion page, of
    the list and its searches, saves (inlines included) and deletions go into the
    trail. `audit_patient(obj)` says whose record an object is (None for a team's);
    `audit_views` whether opening its pages is recorded, `audit_lists` whether its
    list is too (not when the list shows no patient data)."""

    audit_views = True
    audit_lists = True

    def audit_patient(self, obj):
        return None

    def _audit_patient_id(self, obj):
        patient = self.audit_patient(obj)
        return patient.pk if isinstance(patient, Patient) else patient

    def _audit_opened(self, request, object_id, detail=""):
        if request.method != "GET" or not self.audit_views:
            return
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            record(request, "viewed", self.audit_patient(obj), obj=obj, detail=detail, role="admin")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._audit_opened(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._audit_opened(request, object_id, detail="history")
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._audit_opened(request, object_id, detail="deletion page")
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        """The list, a search or a filter of it: recorded once its rows are read (the
        page then shows the same rows), for each patient it shows. So is the page an
        action shows before it acts (the deletion's confirmation lists the rows)."""
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        audited = self.audit_views and self.audit_lists
        if not audited or getattr(response, "status_code", 0) != 200:
            return response
        if "cl" in context:
            cl = context["cl"]
            rows = list(cl.result_list)  # the queryset the template iterates, read now
            total = cl.result_count
        elif request.method == "POST" and "queryset" in context:
            rows, total = list(context["queryset"]), None
        else:
            return response
        detail = listing_detail(self, request, shown=len(rows), total=total)
        patients = [self._audit_patient_id(row) for row in rows]
        record_listing(request, patients, model=self.model, detail=detail)
        return response

    def get_search_results(self, request, queryset, search_term):
        """A search from another page's autocomplete box (a patient's account, a team's
        member) is recorded too, by its term's pseudonym: its answers are names."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        if self.audit_views and match is not None and match.url_name == "autocomplete":
            detail = f"admin autocomplete of {self.opts.verbose_name_plural}"
            if search_term.strip():
                detail += f"; search #{term_ref(search_term)}"
            record_listing(request, [], model=self.model, detail=detail)
        return results, may_have_duplicates

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
