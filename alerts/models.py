"""Alerts: a check-in's call on its care team, its notifications over each channel, the
attempts to deliver them, and the heartbeat of the periodic tasks."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from clinical.urgency import CHOICES as URGENCY_CHOICES
from clinical.urgency import RANK
from patients.models import CHANNEL_KINDS, OPEN, CareTeam, Contact, Flag


class AlertQuerySet(models.QuerySet):
    def unanswered(self):
        """Alerts with a flag nobody has acknowledged yet: they escalate."""
        unseen = Flag.objects.filter(check_in=models.OuterRef("check_in"), alerted=True).unseen()
        return self.filter(models.Exists(unseen))

    def with_answered_at(self):
        """Each with `answered_at`: when the last of its flags to be seen was
        acknowledged, NULL while one is still unseen (a NULL sorts first, so it wins)."""
        flags = Flag.objects.filter(check_in=models.OuterRef("check_in"), alerted=True)
        last = flags.with_seen().order_by(models.F("seen_at").desc(nulls_first=True))
        return self.annotate(answered_at=models.Subquery(last.values("seen_at")[:1]))


class Alert(models.Model):
    """A check-in's call on the care team: routed, notified, escalated until its flags'
    episodes are acknowledged (patients/models/episodes.py): it reads its answer from
    them, and keeps none of its own."""

    check_in = models.OneToOneField(
        "patients.CheckIn", on_delete=models.CASCADE, related_name="alert"
    )
    urgency = models.CharField(max_length=16, choices=URGENCY_CHOICES)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="alerts")
    routing_reason = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(default=0, help_text="Escalations so far")
    # Indexed: the team figures count a day's alerts (alerts/services/figures.py).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    escalate_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When it escalates if still unanswered"
    )

    objects = AlertQuerySet.as_manager()

    def __str__(self):
        return f"{self.urgency} alert for {self.check_in}"

    def answer(self) -> tuple:
        """(when, by whom) it was answered: the acknowledgement that covered the last of
        its flags to be seen; (None, None) while one of them is unseen. One query; a
        page of many alerts reads AlertQuerySet.with_answered_at instead."""
        flags = list(
            Flag.objects.filter(check_in=self.check_in_id, alerted=True)
            .select_related("episode")
            .with_seen()
        )
        if not flags or any(f.status == OPEN for f in flags):
            return None, None
        seen = [(f.seen_at, f.seen_by_id) for f in flags if f.seen_at]
        return max(seen, key=lambda pair: pair[0], default=(None, None))

    @property
    def acknowledged_at(self):
        return self.answer()[0]

    @property
    def acknowledged_by(self):
        by_id = self.answer()[1]
        return get_user_model().objects.get(pk=by_id) if by_id else None


class Notification(models.Model):
    """One alert to one contact over one channel: an outbox row, delivered at least once."""

    STATUS_CHOICES = [
        ("queued", "Queued"),
        ("sending", "Sending"),
        ("sent", "Sent"),
        ("failed", "Failed"),
    ]
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="notifications")
    channel = models.CharField(max_length=16, choices=CHANNEL_KINDS)
    address = models.CharField(max_length=254)
    level = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default="queued")
    not_before = models.DateTimeField(default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="Last taken by a worker")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    link_used_at = models.DateTimeField(
        null=True, blank=True, help_text="When its acknowledge link was used (once only)"
    )
    link_used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "contact", "channel"], name="one_notification_per_channel"
            )
        ]

    def __str__(self):
        return f"{self.channel} to {self.contact} ({self.status})"


class DeliveryAttempt(models.Model):
    """Written before the network call, completed after: who was told what, when."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self):
        outcome = {True: "ok", False: "failed", None: "no outcome"}[self.ok]
        return f"attempt at {self.started_at:%Y-%m-%d %H:%M:%S}: {outcome}"


class Heartbeat(models.Model):
    """When a periodic task last ran to the end: what GET /health/ reads to tell
    whether beat (and a worker to run its tasks) is alive. One row per task."""

    name = models.CharField(max_length=200, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str, *, now=None) -> None:
        """Record that `name` ran now: one upsert, safe when two workers race."""
        cls.objects.bulk_create(
            [cls(name=name, last_run_at=now or timezone.now())],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["last_run_at"],
        )


class TeamDay(models.Model):
    """A care team's figures for one calendar day in its time zone, kept by the worker
    (alerts/services/figures.py) so that the figures page reads one row a day rather
    than a month of check-ins, flags and alerts (alerts/figures.py, `Tally`).

    Its records count by when they were made, as the page counts them. Everything
    adds up over days: distinct patients are kept as their ids and acknowledgement
    waits as a list, both bounded by the day's own check-ins and alerts. Erasing a
    patient takes their id out (alerts/privacy.py); the counts stay, as counts.
    """

    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="A calendar day in the team's time zone")
    check_ins = models.PositiveIntegerField(default=0)
    patient_ids = models.JSONField(
        default=list, help_text="The ids of the patients who checked in that day, sorted"
    )
    alerting_check_ins = models.PositiveIntegerField(
        default=0, help_text="Check-ins that raised an alert"
    )
    flags = models.JSONField(default=dict, help_text="Urgency -> flags raised that day")
    alerts = models.JSONField(default=dict, help_text="Urgency -> alerts raised that day")
    escalated_alerts = models.PositiveIntegerField(
        default=0, help_text="Alerts raised that day escalated at least once"
    )
    escalation_steps = models.PositiveIntegerField(
        default=0, help_text="Every escalation of those alerts"
    )
    waits = models.JSONField(
        default=dict,
        help_text="Urgency -> how long each acknowledged alert raised that day waited, "
        "in microseconds",
    )
    waiting = models.JSONField(
        default=dict, help_text="Urgency -> alerts raised that day not acknowledged yet"
    )
    phone_calls = models.PositiveIntegerField(
        default=0, help_text="Check-ins recorded by a clinician on a phone call"
    )
    phone_overrides = models.PositiveIntegerField(
        default=0, help_text="Of those, calls whose outcome was below the engine's urgency"
    )
    computed_at = models.DateTimeField(help_text="When it was counted from the records")

    class Meta:
        ordering = ["team", "day"]
        constraints = [
            models.UniqueConstraint(fields=["team", "day"], name="one_figures_row_per_team_day")
        ]

    def __str__(self):
        return f"{self.team} on {self.day:%Y-%m-%d}"


class PhoneCall(models.Model):
    """A clinician's phone triage (alerts/services/phone.py): the check-in they recorded
    on the call ("Clinician, by phone"), the engine's urgency and the one they chose,
    why they chose a lower one, the advice they gave and their note.

    Written in the check-in's transaction. The worker that flags the check-in records
    the outcome as an action on each episode its flags joined or opened, once
    (`actions_recorded_at`)."""

    ADVICE_CHOICES = [
        ("attend_now", "Attend now"),
        ("same_day", "Same-day review"),
        ("call_back", "Call back if it gets worse"),
        ("self_care", "Self-care at home"),
    ]
    check_in = models.OneToOneField(
        "patients.CheckIn", on_delete=models.CASCADE, related_name="phone_call"
    )
    engine_urgency = models.CharField(
        max_length=16, choices=URGENCY_CHOICES, help_text="What the engine worked out"
    )
    urgency = models.CharField(
        "outcome", max_length=16, choices=URGENCY_CHOICES, help_text="What the clinician chose"
    )
    lowered = models.BooleanField(
        default=False, help_text="The outcome is below the engine's urgency (a reason is needed)"
    )
    override_reason = models.TextField(blank=True, max_length=1000)
    advice = models.CharField("advice given", max_length=16, choices=ADVICE_CHOICES)
    note = models.TextField(blank=True, max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    actions_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker recorded it on the episodes"
    )

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lowered=False) | ~models.Q(override_reason=""),
                name="a_lowered_call_has_a_reason",
            )
        ]

    def __str__(self):
        return f"Phone call about {self.check_in}"

    def save(self, *args, **kwargs):
        self.lowered = RANK[self.urgency] < RANK[self.engine_urgency]
        super().save(*args, **kwargs)
