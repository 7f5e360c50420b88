import zoneinfo
from datetime import date, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from clinical.catalogue import BASELINE_ITEMS, ITEMS, SCORE, TEMPERATURE, YESNO, Item
from clinical.urgency import CHOICES as URGENCY_CHOICES


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"{name!r} is not a time zone name such as Europe/London.")


class Patient(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient"
    )
    care_team = models.ForeignKey(
        "patients.CareTeam", on_delete=models.PROTECT, related_name="patients"
    )
    hospital_number = models.CharField(max_length=32, unique=True)
    date_of_birth = models.DateField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    created_at = models.DateTimeField(default=timezone.now)
    reminders = models.BooleanField("email me a reminder when I have not checked in", default=True)
    reminder_time = models.TimeField(
        "at (my local time)", default=time(18, 0), help_text="In your own time zone"
    )
    invited_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last invitation to set a password was sent"
    )
    mobile_number = models.CharField(
        "mobile number",
        max_length=16,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+[1-9]\d{7,14}$",
                "Enter the mobile number in international format with no spaces, "
                "e.g. +447700900123.",
            )
        ],
        help_text="International format with no spaces, e.g. +447700900123. Replies by SMS "
        "are matched to the patient by this number, so no two patients share one.",
    )
    sms_check_ins = models.BooleanField(
        "text me the daily reminder and take my check-ins by SMS reply",
        default=False,
        help_text="Needs a mobile number.",
    )
    # The number is confirmed by a reply with the code texted to it
    # (patients/services/sms_confirmation.py): until then nothing is texted to it
    # but the code, and no reply from it is a check-in. A new number clears it.
    mobile_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient replied with the code texted to it"
    )
    mobile_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    mobile_code_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    mobile_code_tries = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            # An SMS reply is matched to its patient by the number it came from.
            models.UniqueConstraint(
                fields=["mobile_number"],
                condition=~Q(mobile_number=""),
                name="one_patient_per_mobile_number",
            ),
            models.CheckConstraint(
                condition=Q(sms_check_ins=False) | ~Q(mobile_number=""),
                name="sms_check_ins_need_a_mobile_number",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.hospital_number})"

    def save(self, *args, **kwargs):
        """Saved with their team: a patient who moves team takes their episodes along
        (Episode.care_team, which the triage queue's index reads), in the same
        transaction."""
        update_fields = kwargs.get("update_fields")
        with transaction.atomic():
            super().save(*args, **kwargs)
            if update_fields is None or "care_team" in update_fields:
                self.episodes.exclude(care_team_id=self.care_team_id).update(
                    care_team_id=self.care_team_id
                )

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def texts_check_ins(self) -> bool:
        """Reminders by SMS and check-ins by SMS reply: opted in, the number confirmed."""
        return bool(self.sms_check_ins and self.mobile_number and self.mobile_confirmed_at)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_date(self, at=None) -> date:
        """The patient's calendar day at an instant: 'today' is theirs, not the server's."""
        return (at or timezone.now()).astimezone(self.tz).date()

    @property
    def treatment(self):
        """The current treatment: the most recently started one."""
        return self.treatments.current_first().first()

    @property
    def active_baseline(self):
        return self.baselines.order_by("-created_at", "-pk").first()


class TreatmentQuerySet(models.QuerySet):
    def current_first(self):
        """A patient's current treatment first: the one started most recently (the
        later row on a tie). Every page and service that names "the treatment" takes
        the first of these."""
        return self.order_by("-start_date", "-pk")


class Treatment(models.Model):
    KIND_CHOICES = [
        ("checkpoint_inhibitor", "Checkpoint inhibitor"),
        ("monoclonal_antibody", "Other monoclonal antibody"),
        ("car_t", "CAR-T cell therapy"),
        ("cytokine", "Cytokine"),
    ]
    STATUS_CHOICES = [
        ("active", "Active"),
        ("held", "Delayed or held"),
        ("stopped", "Stopped"),
        ("finished", "Finished"),
    ]
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="treatments")
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    medicines = models.CharField(max_length=200, help_text="For example: pembrolizumab")
    with_chemotherapy = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default="active")
    start_date = models.DateField()
    last_dose_date = models.DateField(null=True, blank=True)
    steroids = models.CharField(
        max_length=200, blank=True, help_text="Current steroids and dose, if any"
    )
    schedule = models.CharField(
        max_length=100, blank=True, help_text="How often, in plain words: every 3 weeks"
    )
    next_dose_date = models.DateField(null=True, blank=True)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]  # current first, as TreatmentQuerySet.current_first

    def __str__(self):
        return f"{self.medicines} ({self.get_status_display().lower()})"

    def clean(self):
        if self.last_dose_date and self.start_date and self.last_dose_date < self.start_date:
            raise ValidationError({"last_dose_date": "The last dose cannot be before the start."})
        today = self.patient.local_date() if self.patient_id else timezone.localdate()
        if self.last_dose_date and self.last_dose_date > today:
            raise ValidationError({"last_dose_date": "The last dose cannot be in the future."})
        if self.next_dose_date and self.start_date and self.next_dose_date < self.start_date:
            raise ValidationError({"next_dose_date": "The next dose cannot be before the start."})

    def days_since_last_dose(self, today: date | None = None) -> int | None:
        today = today or timezone.localdate()
        return (today - self.last_dose_date).days if self.last_dose_date else None


def _answer_field(item: Item) -> models.Field:
    if item.kind == YESNO:
        return models.BooleanField(item.label, null=True, blank=True)
    low, high = item.bounds
    validators = [MinValueValidator(low), MaxValueValidator(high)]
    if item.kind == TEMPERATURE:
        return models.DecimalField(
            item.label, max_digits=3, decimal_places=1, null=True, blank=True, validators=validators
        )
    return models.PositiveSmallIntegerField(
        item.label, null=True, blank=True, validators=validators
    )


def _range_constraints(prefix: str, items: tuple[Item, ...]) -> list[models.CheckConstraint]:
    """The catalogue's ranges, enforced by the database as well as by the forms."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{i.key}__isnull": True})
            | Q(**{f"{i.key}__gte": i.bounds[0], f"{i.key}__lte": i.bounds[1]}),
            name=f"{prefix}_{i.key}_range",
        )
        for i in items
        if i.bounds is not None
    ]


class _Answers(models.Model):
    ITEMS: tuple[Item, ...] = ()

    class Meta:
        abstract = True

    def answers(self) -> dict:
        """Answered items only, as the engine takes them."""
        return {
            item.key: value for item in self.ITEMS if (value := getattr(self, item.key)) is not None
        }

    def answered(self) -> list[tuple[Item, object]]:
        """(item, value) for each answered item, in catalogue order, for display."""
        return [
            (item, value) for item in self.ITEMS if (value := getattr(self, item.key)) is not None
        ]


def _answers_model(name: str, items: tuple[Item, ...]) -> type[models.Model]:
    attrs = {item.key: _answer_field(item) for item in items}
    attrs.update(
        ITEMS=items,
        __module__=__name__,
        Meta=type("Meta", (), {"abstract": True}),
    )
    return type(name, (_Answers,), attrs)


BaselineAnswers = _answers_model("BaselineAnswers", BASELINE_ITEMS)
CheckInAnswers = _answers_model("CheckInAnswers", ITEMS)


class Baseline(BaselineAnswers):
    """How the patient feels normally. Re-baselining adds a row; earlier ones are kept."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="baselines")
    created_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = "created_at"
        constraints = _range_constraints("baseline", BASELINE_ITEMS)

    def __str__(self):
        return f"Baseline of {self.patient} from {self.created_at:%Y-%m-%d}"


class CheckIn(CheckInAnswers):
    ENTERED_BY_CHOICES = [
        ("patient", "Patient"),
        ("carer", "Carer"),
        ("clinician", "Clinician, by phone"),
        ("sms", "Patient, by SMS"),
    ]
    # No index of its own: the indexes below all begin with the patient, and each
    # index is one more write for every check-in.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="check_ins", db_index=False
    )
    baseline = models.ForeignKey(
        Baseline,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="check_ins",
        help_text="The baseline active when the check-in was made; it is judged against it.",
    )
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    local_date = models.DateField(help_text="The patient's calendar day when it was made")
    entered_by = models.CharField(max_length=16, choices=ENTERED_BY_CHOICES, default="patient")
    entered_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    free_text = models.TextField("Anything else", max_length=2000, blank=True)
    new_medicines = models.TextField("New medicines taken", max_length=1000, blank=True)
    urgency = models.CharField(
        max_length=16,
        choices=URGENCY_CHOICES,
        default="green",
        help_text="The engine's verdict shown to the patient when it was submitted",
    )
    form_token = models.UUIDField(
        null=True, blank=True, help_text="Makes a double-submitted form save once"
    )
    evaluated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker created this check-in's flags"
    )
    alerted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the care team was sent an alert about it (what its page tells the "
        "patient); none when its flags joined episodes the team already had",
    )

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-submitted_at"]),
            # A patient's days: the engine's 2 days before, the charts' 30-day window.
            models.Index(fields=["patient", "-local_date"], name="check_in_patient_day"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["patient", "form_token"], name="one_check_in_per_form"),
            *_range_constraints("checkin", ITEMS),
        ]

    def __str__(self):
        return f"Check-in of {self.patient} at {self.submitted_at:%Y-%m-%d %H:%M}"

    def changes(self) -> list[tuple[Item, object]]:
        """(item, value) for each answer that is not the patient's usual, for a list of
        check-ins that shows only what changed: a score or count other than the usual
        it was judged against (`baseline`, loaded with it; with none recorded, any
        score but none), a warning sign answered yes, a temperature taken."""
        shown = []
        for item, value in self.answered():
            if item.has_baseline:
                usual = getattr(self.baseline, item.key, None) if self.baseline_id else None
                if value == usual or (usual is None and item.kind == SCORE and value == 0):
                    continue
            elif value is False:
                continue
            shown.append((item, value))
        return shown

    @property
    def no_warning_signs(self) -> bool:
        """Every warning sign answered, and answered no."""
        return all(getattr(self, item.key) is False for item in self.ITEMS if item.kind == YESNO)


class Question(models.Model):
    """A question the patient wants to ask at the next appointment (their notebook)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField("Your question", max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    asked_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField("What you were told", max_length=1000, blank=True)

    class Meta:
        # Not yet asked first (NULL asked_at), then asked, the most recent first.
        ordering = [models.F("asked_at").desc(nulls_first=True), "created_at", "pk"]

    def __str__(self):
        return self.text


class Reminder(models.Model):
    """A check-in reminder: at most one a patient and local day (the unique key)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="check_in_reminders"
    )
    local_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "local_date"], name="one_reminder_a_day")
        ]

    def __str__(self):
        return f"Reminder to {self.patient} for {self.local_date}"


class CarerQuerySet(models.QuerySet):
    def active(self):
        """Carers who accepted their invitation and still have access."""
        return self.filter(accepted_at__isnull=False, revoked_at__isnull=True)

    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Carer(models.Model):
    """Someone the patient invited to see their contacts, advice and history and to
    check in on their behalf. Access lasts from acceptance until the patient revokes it."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="carers")
    name = models.CharField("their name", max_length=100)
    email = models.EmailField("their email address")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="caring_for",
    )
    invited_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CarerQuerySet.as_manager()

    class Meta:
        ordering = ["revoked_at", "-invited_at", "-pk"]
        constraints = [
            # One live invitation or access per person and patient; revoked ones are kept.
            models.UniqueConstraint(
                fields=["patient", "email"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_carer_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.name}, carer of {self.patient}"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "active" if self.accepted_at else "invited"
