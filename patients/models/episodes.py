"""What the worker found in check-ins (flags), the runs of a symptom they form
(episodes), and what the care team did about them (acknowledgements, actions).

The episode is what a clinician acknowledges and resolves; its flags, and the
alerts they raised, read their state from it:

- an episode is open until acknowledged, acknowledged until resolved; a higher
  urgency raises it and opens it again (the acknowledgements stay, as history);
- an acknowledgement covers the flags its episode had when it was made (up to
  `last_flag`: read under the episode's lock, which the worker holds to add a
  flag, so no clock decides it); a flag is seen once an acknowledgement covers it,
  or when it joined the episode while one stood (alerting nobody); it is resolved
  with its episode;
- an alert is answered once every flag it raised is seen (alerts/models.py).

The rule is written once, in SQL (FlagQuerySet.with_seen and .unseen); a flag's
properties read it from their query's annotations, or ask for them.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from base.rows import update_columns
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
    # The patient's team, kept on the episode (Patient.save moves it with the patient)
    # so that a team's worklist is one index, in the queue's order.
    care_team = models.ForeignKey(
        "patients.CareTeam", on_delete=models.PROTECT, related_name="episodes"
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
    # What the triage queue shows, kept with the row (Episode.took) so that the queue
    # reads one row per open episode, however many check-ins joined it.
    latest_flag = models.ForeignKey(
        "Flag",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The newest flag of the episode (its latest check-in)",
    )
    flag_count = models.PositiveIntegerField(
        default=0, help_text="The number of flags (check-ins) in the episode"
    )
    # Most urgent first, as the database sorts it: an index serves the queue's order.
    urgency_rank = models.GeneratedField(
        expression=models.Case(
            *(models.When(urgency=u, then=models.Value(r)) for u, r in RANK.items()),
            default=models.Value(0),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
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
        indexes = [
            # A team's worklist: its open and acknowledged episodes, most urgent and
            # oldest first; the queue reads its first page, and counts it, from here.
            models.Index(
                fields=["care_team", "-urgency_rank", "opened_at", "id"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="episode_team_worklist",
            ),
            # The resolved view: the most recently resolved first.
            models.Index(fields=["status", "-resolved_at"], name="episode_resolved"),
        ]

    def __str__(self):
        return f"{self.symptom} episode of {self.patient} ({self.status})"

    def save(self, *args, **kwargs):
        if self.care_team_id is None:  # a new episode: its patient's team
            self.care_team_id = self.patient.care_team_id
        super().save(*args, **kwargs)

    def took(self, flag: "Flag") -> None:
        """Record that `flag` joined the episode (the newest, one more), under the
        lock the worker holds on the episode to add a flag."""
        self.latest_flag = flag
        self.flag_count += 1
        update_columns(self, ["latest_flag", "flag_count"])  # a statement written once

    @property
    def acknowledgement(self) -> "Acknowledgement | None":
        """The acknowledgement that stands: its latest, unless raised again since
        (prefetch_related("acknowledgements") where a page shows many)."""
        if self.status == OPEN:
            return None
        acknowledgements = list(self.acknowledgements.all())
        return acknowledgements[-1] if acknowledgements else None

    @property
    def acknowledged_at(self):
        return self.acknowledgement.at if self.acknowledgement else None


class Acknowledgement(models.Model):
    """A clinician acknowledging an episode: they have seen its flags so far (up to
    `last_flag`), and the alerts those flags raised stop escalating."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="acknowledgements")
    last_flag = models.ForeignKey(
        "Flag",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The episode's newest flag when it was acknowledged: it and every "
        "earlier flag of the episode are seen (none for an acknowledgement kept from "
        "before episodes that covered no flag in order)",
    )
    # Indexed: the team figures recount the days of alerts acknowledged since their last run.
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["episode", "last_flag"], name="acknowledgement_covers"),
        ]

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


def _covering():
    """The acknowledgements that cover a flag (the OuterRef), first first."""
    return Acknowledgement.objects.filter(
        episode=models.OuterRef("episode"), last_flag__gte=models.OuterRef("pk")
    ).order_by("at", "pk")


def _seen_when_joined() -> models.Q:
    """For a flag (the OuterRef), whether it joined its episode while an
    acknowledgement stood: one was made before it, and no alerting flag reopened the
    episode between that acknowledgement and it."""
    reopened = Flag.objects.filter(
        episode=models.OuterRef(models.OuterRef("episode")),
        alerted=True,
        pk__gt=models.OuterRef("last_flag"),
        pk__lt=models.OuterRef(models.OuterRef("pk")),
    )
    standing = Acknowledgement.objects.filter(
        episode=models.OuterRef("episode"), last_flag__lt=models.OuterRef("pk")
    ).exclude(models.Exists(reopened))
    return models.Q(alerted=False) & models.Exists(standing)


class FlagQuerySet(models.QuerySet):
    def with_seen(self):
        """Each flag with, read in the same query: `seen_when_joined` (it joined while
        an acknowledgement stood), and else `seen_at` and `seen_by_id`, when and by
        whom the first acknowledgement that covers it was made (NULL before one)."""
        first = _covering()
        joined = models.ExpressionWrapper(_seen_when_joined(), output_field=models.BooleanField())
        return self.annotate(
            seen_when_joined=joined,
            seen_at=models.Case(
                models.When(joined, then=models.Value(None)),
                default=models.Subquery(first.values("at")[:1]),
                output_field=models.DateTimeField(),
            ),
            seen_by_id=models.Case(
                models.When(joined, then=models.Value(None)),
                default=models.Subquery(first.values("by")[:1]),
                output_field=models.IntegerField(),
            ),
        )

    def unseen(self):
        """Flags nobody has seen yet: their episode is open, no acknowledgement covers
        them, and none stood when they joined."""
        return (
            self.filter(episode__status=OPEN)
            .exclude(models.Exists(_covering()))
            .exclude(_seen_when_joined())
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
    # Indexed: the team figures count a day's flags (alerts/services/figures.py).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

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

    # Its state, read from its episode: from FlagQuerySet.with_seen's annotations when
    # its query had them (a page of many flags reads them so), else asked for.

    SEEN = ("seen_when_joined", "seen_at", "seen_by_id")

    def refresh_from_db(self, *args, **kwargs):
        """Read again, its state included."""
        for name in self.SEEN:
            self.__dict__.pop(name, None)
        super().refresh_from_db(*args, **kwargs)

    def _seen(self) -> tuple[bool, object, int | None]:
        if not hasattr(self, "seen_when_joined"):
            seen = Flag.objects.with_seen().filter(pk=self.pk)
            self.seen_when_joined, self.seen_at, self.seen_by_id = seen.values_list(
                *self.SEEN
            ).get()
        return self.seen_when_joined, self.seen_at, self.seen_by_id

    @property
    def seen_on_arrival(self) -> bool:
        """Whether it joined its episode while an acknowledgement stood (alerting
        nobody): seen with it, until a worse check-in reopens the episode."""
        return bool(self._seen()[0])

    @property
    def acknowledged_at(self):
        """When an acknowledgement first covered it (None for one seen on arrival)."""
        return self._seen()[1]

    @property
    def acknowledged_by(self):
        by_id = self._seen()[2]
        return get_user_model().objects.get(pk=by_id) if by_id else None

    @property
    def status(self) -> str:
        if self.episode.status != OPEN:
            return self.episode.status
        joined, seen_at, _by = self._seen()
        return ACKNOWLEDGED if joined or seen_at else OPEN

    def get_status_display(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def resolved_at(self):
        return self.episode.resolved_at

    @property
    def resolved_by(self):
        return self.episode.resolved_by

    @property
    def resolution_note(self) -> str:
        return self.episode.resolution_note
