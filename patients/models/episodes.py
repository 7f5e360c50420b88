"""What the worker found in check-ins (flags), the runs of a symptom they form
(episodes), and what the care team did about them (acknowledgements, actions).

The episode is what a clinician acknowledges and resolves; its flags, and the
alerts they raised, read their state from it:

- an episode is open until acknowledged, acknowledged until resolved; a higher
  urgency raises it and opens it again (the acknowledgements stay, as history);
- a flag is seen once an acknowledgement of its episode came at or after it; a
  flag that joined the episode while an acknowledgement stood (alerting nobody) is
  seen with it; resolved with its episode;
- an alert is answered once every flag it raised is seen (alerts/models.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinical.urgency import CHOICES as URGENCY_CHOICES
from clinical.urgency import RANK

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
FLAG_STATUS_CHOICES = [(OPEN, "Open"), (ACKNOWLEDGED, "Acknowledged"), (RESOLVED, "Resolved")]
STATUS_LABELS = dict(FLAG_STATUS_CHOICES)


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
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "symptom"],
                condition=~models.Q(status="resolved"),
                name="one_open_episode_per_symptom",
            )
        ]
        # The triage queue filters by status and orders by urgency.
        indexes = [models.Index(fields=["status", "urgency"], name="episode_status_urgency")]

    def __str__(self):
        return f"{self.symptom} episode of {self.patient} ({self.status})"

    # Read with prefetch_related("acknowledgements") where a page shows many.

    def acknowledgement_since(self, instant) -> "Acknowledgement | None":
        """Its first acknowledgement at or after `instant`."""
        return next((a for a in self.acknowledgements.all() if a.at >= instant), None)

    @property
    def acknowledgement(self) -> "Acknowledgement | None":
        """The acknowledgement that stands: its latest, unless raised again since."""
        if self.status == OPEN:
            return None
        acknowledgements = list(self.acknowledgements.all())
        return acknowledgements[-1] if acknowledgements else None

    @property
    def acknowledged_at(self):
        return self.acknowledgement.at if self.acknowledgement else None

    @property
    def acknowledged_by(self):
        return self.acknowledgement.by if self.acknowledgement else None


class Acknowledgement(models.Model):
    """A clinician acknowledging an episode: they have seen its flags so far, and the
    alerts those flags raised stop escalating."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="acknowledgements")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["episode", "at"], name="acknowledgement_episode_at")]

    def __str__(self):
        return f"Acknowledged {self.at:%Y-%m-%d %H:%M}"


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


def _acknowledged_on_arrival():
    """For a flag (the OuterRef), whether it joined its episode while an
    acknowledgement stood: one came before it, and no alerting flag reopened the
    episode between that acknowledgement and it."""
    reopened = Flag.objects.filter(
        episode=models.OuterRef(models.OuterRef("episode")),
        alerted=True,
        created_at__gt=models.OuterRef("at"),
        created_at__lt=models.OuterRef(models.OuterRef("created_at")),
    )
    standing = Acknowledgement.objects.filter(
        episode=models.OuterRef("episode"), at__lt=models.OuterRef("created_at")
    ).exclude(models.Exists(reopened))
    return models.Q(alerted=False) & models.Exists(standing)


class FlagQuerySet(models.QuerySet):
    def with_seen(self):
        """Each flag with `seen_at` (when the first acknowledgement of its episode at or
        after it came, NULL before one) and `seen_when_joined` (it joined while an
        acknowledgement stood), read in the same query."""
        first = Acknowledgement.objects.filter(
            episode=models.OuterRef("episode"), at__gte=models.OuterRef("created_at")
        ).order_by("at", "pk")
        return self.annotate(
            seen_at=models.Subquery(first.values("at")[:1]),
            seen_when_joined=models.ExpressionWrapper(
                _acknowledged_on_arrival(), output_field=models.BooleanField()
            ),
        )

    def unseen(self):
        """Flags nobody has seen yet: their episode is open, no acknowledgement came at
        or after them, and none stood when they joined."""
        since = Acknowledgement.objects.filter(
            episode=models.OuterRef("episode"), at__gte=models.OuterRef("created_at")
        )
        return (
            self.filter(episode__status=OPEN)
            .exclude(models.Exists(since))
            .exclude(_acknowledged_on_arrival())
        )

    def most_urgent_first(self):
        rank = models.Case(
            *(models.When(urgency=u, then=models.Value(r)) for u, r in RANK.items()),
            output_field=models.IntegerField(),
        )
        return self.annotate(urgency_rank=rank).order_by("-urgency_rank", "created_at", "pk")


class Flag(models.Model):
    """A finding at amber or above, for the care team to see and close."""

    check_in = models.ForeignKey("patients.CheckIn", on_delete=models.CASCADE, related_name="flags")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="flags")
    alerted = models.BooleanField(
        default=True, help_text="False when it joined an open episode at no higher urgency"
    )
    symptom = models.CharField(max_length=40)
    urgency = models.CharField(max_length=16, choices=URGENCY_CHOICES)
    rule = models.CharField(max_length=8)
    raised_by = models.CharField(max_length=40, blank=True, help_text="R14, R15")
    rule_set = models.CharField(max_length=8, default="v1")
    explanation = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_in", "symptom", "rule"], name="one_flag_per_finding"
            )
        ]

    def __str__(self):
        return f"{self.get_urgency_display()} {self.symptom} ({self.rule})"

    # Its state, read from its episode (a page of many flags reads them with
    # select_related("episode") and FlagQuerySet.with_seen).

    @property
    def acknowledgement(self) -> Acknowledgement | None:
        """The acknowledgement that covered it: the first at or after it."""
        return self.episode.acknowledgement_since(self.created_at)

    @property
    def acknowledged_at(self):
        """When an acknowledgement first covered it (None for a flag that joined its
        episode while one stood): with_seen's `seen_at` when the query has it."""
        if hasattr(self, "seen_at"):
            return self.seen_at
        return self.acknowledgement.at if self.acknowledgement else None

    @property
    def seen_on_arrival(self) -> bool:
        """Whether it joined its episode while an acknowledgement stood (alerting
        nobody): seen with it, until a worse check-in reopens the episode. With
        with_seen's `seen_when_joined` when the query has it."""
        if hasattr(self, "seen_when_joined"):
            return self.seen_when_joined
        if self.alerted:
            return False
        before = [a.at for a in self.episode.acknowledgements.all() if a.at < self.created_at]
        if not before:
            return False
        reopened = self.episode.flags.filter(
            alerted=True, created_at__gt=max(before), created_at__lt=self.created_at
        )
        return not reopened.exists()

    @property
    def status(self) -> str:
        if self.episode.status != OPEN:
            return self.episode.status
        return ACKNOWLEDGED if self.acknowledged_at or self.seen_on_arrival else OPEN

    def get_status_display(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def acknowledged_by(self):
        return self.acknowledgement.by if self.acknowledgement else None

    @property
    def resolved_at(self):
        return self.episode.resolved_at

    @property
    def resolved_by(self):
        return self.episode.resolved_by

    @property
    def resolution_note(self) -> str:
        return self.episode.resolution_note
