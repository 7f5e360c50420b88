from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """An audit event was about to be changed or deleted: the trail is append-only."""


class AuditEventQuerySet(models.QuerySet):
    """Rows are added, never changed or deleted (PostgreSQL enforces it too, by trigger)."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are never changed.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events are never changed.")

    def delete(self):
        raise AppendOnlyError("Audit events are never deleted.")

    delete.queryset_only = True


class AuditEvent(models.Model):
    """One entry of the audit trail: who viewed or changed a patient's records, and
    every alert action. Append-only.

    It holds no foreign key, so that deleting a user or erasing a patient never
    touches it (ON DELETE SET NULL would be an UPDATE, which the trail refuses):
    `actor_id` and `patient_id` are plain integers, resolved to names by a join
    while the user or patient exists. After an erasure a row still tells, by
    `patient_ref`, what happened to "patient <ref>" and never whom: no row holds a
    patient's or a carer's name, and `detail` is short text with no symptom details.
    """

    ROLE_CHOICES = [
        ("patient", "Patient"),
        ("carer", "Carer"),
        ("clinician", "Clinician"),
        ("admin", "Admin"),
        ("system", "System"),
    ]
    ACTION_CHOICES = [
        ("viewed", "Viewed"),
        ("created", "Created"),
        ("changed", "Changed"),
        ("deleted", "Deleted"),
        ("acknowledged", "Acknowledged"),
        ("action", "Recorded an action"),
        ("resolved", "Resolved"),
        ("link_used", "Used an alert's acknowledge link"),
        ("exported", "Exported their data"),
        ("erased", "Erased"),
        ("carer_invited", "Invited a carer"),
        ("carer_accepted", "Carer accepted"),
        ("carer_revoked", "Removed a carer"),
    ]

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The user's id (not a foreign key: kept after deletion)"
    )
    actor_label = models.CharField(
        max_length=150,
        blank=True,
        help_text="The username of a clinician or admin, kept after their account goes; "
        "empty for patients and carers, whose names the trail never holds",
    )
    actor_role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    action = models.CharField(max_length=32, choices=ACTION_CHOICES)
    patient_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The patient's id (not a foreign key: kept after erasure)"
    )
    patient_ref = models.CharField(
        max_length=32,
        blank=True,
        help_text="Pseudonymous and stable: an HMAC of the patient's id",
    )
    object_type = models.CharField(max_length=64, blank=True, help_text="app_label.model")
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient_id", "-at"], name="audit_patient_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
            # Matched whole only: no second index for LIKE, which db_index made on
            # PostgreSQL (one more write for every row of the trail).
            models.Index(fields=["patient_ref"], name="audit_patient_ref"),
        ]

    def __str__(self):
        who = self.actor_label or self.get_actor_role_display().lower()
        about = f" patient {self.patient_ref}" if self.patient_ref else ""
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.get_action_display().lower()}{about}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events are never changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are never deleted.")
