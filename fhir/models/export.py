import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

ACCEPTED, RUNNING, COMPLETED, FAILED = "accepted", "running", "completed", "failed"
IN_PROGRESS = (ACCEPTED, RUNNING)


class ExportJob(models.Model):
    """One FHIR bulk export ($export) of an API client: what it asked for, how far it
    got, and the NDJSON files it wrote (fhir/export.py).

    Its id (a random UUID) names its status URL and its folder of files; only its
    own client reads either (another's, or one past `expires_at`, is a 404). A client
    has at most one export accepted or running at a time, which the database
    enforces. Cancelling deletes the row and its files; so does the expiry sweep."""

    STATUS_CHOICES = [
        (ACCEPTED, "Accepted"),
        (RUNNING, "Running"),
        (COMPLETED, "Completed"),
        (FAILED, "Failed"),
    ]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        "fhir.ClientAccess", on_delete=models.CASCADE, related_name="exports"
    )
    team_ids = models.JSONField(
        default=list, help_text="The care teams whose patients it covers (ids)"
    )
    group_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The care team of a Group/{id}/$export; empty: system"
    )
    types = models.JSONField(default=list, help_text="The resource types to write, in order")
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=ACCEPTED)
    progress = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(
        null=True, blank=True, help_text="When its worker last wrote a batch (a stale one stopped)"
    )
    expires_at = models.DateTimeField(db_index=True)
    error = models.CharField(max_length=500, blank=True)
    output = models.JSONField(
        default=list, help_text="One entry a file: {type, file, count}, in the order written"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status__in=IN_PROGRESS),
                name="one_export_in_progress_per_client",
            )
        ]

    def __str__(self):
        return f"export {self.pk} ({self.status})"
