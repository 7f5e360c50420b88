"""What the worker found in check-ins (flags) and the runs of a symptom they form
(episodes), with what the care team did about them (actions)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinical.urgency import CHOICES as URGENCY_CHOICES
from clinical.urgency import RANK

FLAG_STATUS_CHOICES = [("open", "Open"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved")]


class Episode(models.Model):
    """One run of a symptom for a patient, from its first flag until resolved.

    A later check-in with the same symptom at the same or a lower urgency joins
    the open episode and alerts nobody again; a higher urgency raises the
    episode and alerts again. Resolving closes it; the next flag opens another.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="episodes"
    )
    symptom = models.CharField(max_length=40)
    urgency = models.CharField(max_length=16, choices=URGENCY_CHOICES)
    status = models.CharField(max_length=16, choices=FLAG_STATUS_CHOICES, default="open")
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "symptom"],
                condition=~models.Q(status="resolved"),
                name="one_open_episode_per_symptom",
            )
        ]

    def __str__(self):
        return f"{self.symptom} episode of {self.patient} ({self.status})"


class Action(models.Model):
    """What a clinician did about an episode: part of its trail."""

    KIND_CHOICES = [
        ("phoned", "Phoned the patient"),
        ("emergency_department", "Advised emergency department"),
        ("admitted", "Admitted"),
        ("treatment_held", "Treatment held"),
        ("steroids_started", "Steroids started"),
        ("advice", "Advice given"),
        ("no_action", "No action needed"),
    ]
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    note = models.TextField(blank=True, max_length=2000)
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["taken_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.taken_at:%Y-%m-%d %H:%M})"


class FlagQuerySet(models.QuerySet):
    def most_urgent_first(self):
        rank = models.Case(
            *(models.When(urgency=u, then=models.Value(r)) for u, r in RANK.items()),
            output_field=models.IntegerField(),
        )
        return self.annotate(urgency_rank=rank).order_by("-urgency_rank", "created_at", "pk")


class Flag(models.Model):
    """A finding at amber or above, for the care team to see and close."""

    check_in = models.ForeignKey("patients.CheckIn", on_delete=models.CASCADE, related_name="flags")
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    alerted = models.BooleanField(
        default=True, help_text="False when it joined an open episode at no higher urgency"
    )
    symptom = models.CharField(max_length=40)
    urgency = models.CharField(max_length=16, choices=URGENCY_CHOICES)
    rule = models.CharField(max_length=8)
    raised_by = models.CharField(max_length=40, blank=True, help_text="R14, R15")
    rule_set = models.CharField(max_length=8, default="v1")
    explanation = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=FLAG_STATUS_CHOICES, default="open")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_in", "symptom", "rule"], name="one_flag_per_finding"
            )
        ]
        indexes = [models.Index(fields=["status", "urgency"])]

    def __str__(self):
        return f"{self.get_urgency_display()} {self.symptom} ({self.rule})"
