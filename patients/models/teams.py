"""Care teams: who is on them, and their contact lists (who patients phone, and whom
alerts reach, for what and when). Patients read a team's contacts for their advice;
alerts route to them."""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.utils import timezone

from base.outbound import validate_outbound_url
from clinical.routing import ALWAYS, ContactSpec, HoursError, contact_list_errors, parse_window
from clinical.urgency import AMBER, RED

from .record import validate_time_zone


class CareTeam(models.Model):
    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_time_zone],
        help_text="Contact hours are read in this zone.",
    )
    after_treatment_reminders = models.CharField(
        "check-in reminders after treatment",
        max_length=8,
        choices=[("weekly", "Weekly"), ("none", "None")],
        default="weekly",
        help_text="Late effects can appear more than a year after treatment ends.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="care_teams", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def contact_specs(self) -> list[ContactSpec]:
        return [c.spec() for c in self.contacts.filter(active=True).prefetch_related("hours")]

    def contact_list_errors(self) -> list[str]:
        return contact_list_errors(self.contact_specs())

    def contact_list_problems(self) -> list[str]:
        """Errors, plus what an admin should mend: contacts never on duty, broken channels."""
        problems = self.contact_list_errors()
        contacts = self.contacts.filter(active=True).prefetch_related("hours")
        problems += [
            f"{c.name} is never on duty: tick 24/7 or add hours."
            for c in contacts
            if not c.always_on_duty and not c.hours.all()
        ]
        broken = BrokenChannel.objects.filter(contact__team=self).select_related("contact")
        problems += [
            f"{b.contact.name}: {b.get_channel_display()} alerts are failing ({b.error}); "
            "correct the address to try it again."
            for b in broken
        ]
        return problems


class TeamMembership(models.Model):
    ROLE_CHOICES = [
        ("nurse", "Nurse"),
        ("oncologist", "Oncologist"),
        ("coordinator", "Coordinator"),
    ]
    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default="nurse")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership")]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.role})"


def handled_urgencies(*, handles_amber: bool, handles_red: bool) -> frozenset[str]:
    """The urgencies a contact takes alerts for (red covers emergencies, routed as red)."""
    return frozenset(u for u, yes in ((AMBER, handles_amber), (RED, handles_red)) if yes)


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


NOT_HTTPS = (
    "Enter an https:// address, such as https://chat.example.org/hooks/oncology: alerts "
    "are sent only over an encrypted connection."
)


class HttpsURLField(models.URLField):
    """An https URL: 'example.org/hook' is read as https, and any other scheme (http,
    ftp) is refused, so that alerts leave only over an encrypted connection."""

    # Not the code "invalid", which a form would word as its own "Enter a valid URL."
    default_validators = [URLValidator(schemes=["https"], message=NOT_HTTPS, code="not_https")]

    def formfield(self, **kwargs):
        """Every form that edits one (the contact editor, the admin) also refuses an
        address on a private or local network (base/outbound.py), as the worker would
        when it sends; a form field's validator, so no migration holds it."""
        options = {
            "assume_scheme": "https",
            "error_messages": {"invalid": NOT_HTTPS},
            "validators": [validate_outbound_url],
        }
        return super().formfield(**{**options, **kwargs})


CHANNEL_KINDS = [("sms", "SMS"), ("email", "Email"), ("webhook", "Webhook"), ("fhir", "FHIR")]


class Contact(models.Model):
    """Someone on a care team's contact list: whom patients ring, and whom alerts reach."""

    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=120, blank=True)
    phone = models.CharField("phone shown to patients", max_length=32)
    when_to_call = models.CharField(
        max_length=200, blank=True, help_text="Shown to patients, e.g. 'weekdays, in clinic hours'"
    )
    email = models.EmailField("alert email", blank=True)
    sms_number = models.CharField(
        "alert SMS number",
        max_length=16,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+[1-9]\d{7,14}$",
                "Enter the number in international format with no spaces, e.g. +447700900123.",
            )
        ],
        help_text="International format with no spaces, e.g. +447700900123",
    )
    webhook_url = HttpsURLField(
        "alert webhook URL",
        blank=True,
        help_text="A hospital system or team chat: signed JSON POST",
    )
    webhook_secret = models.CharField(
        max_length=64,
        blank=True,
        default=new_webhook_secret,
        help_text="Shared secret for the X-Signature header (HMAC-SHA256); see the README",
    )
    fhir_url = HttpsURLField(
        "alert FHIR endpoint",
        blank=True,
        help_text="The base URL of the hospital record's FHIR R4 server: each alert is "
        "sent to it as a transaction Bundle (signed like a webhook)",
    )
    handles_amber = models.BooleanField(default=False)
    handles_red = models.BooleanField("handles red (and emergency)", default=False)
    always_on_duty = models.BooleanField("on duty 24/7", default=False)
    order = models.PositiveSmallIntegerField(help_text="Place in the escalation chain, 1 first")
    active = models.BooleanField(default=True)

    # What an admin or a coordinator edits, besides the team, the order and `active`.
    EDITABLE_FIELDS = [
        "name",
        "role",
        "phone",
        "when_to_call",
        "email",
        "sms_number",
        "webhook_url",
        "fhir_url",
        "handles_amber",
        "handles_red",
        "always_on_duty",
    ]

    class Meta:
        ordering = ["team", "order"]
        constraints = [
            models.UniqueConstraint(fields=["team", "order"], name="one_contact_per_order")
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """A changed address is a mended channel: forget its recorded failure."""
        if self.pk:
            before = (
                Contact.objects.filter(pk=self.pk)
                .values("email", "sms_number", "webhook_url", "fhir_url")
                .first()
            )
            if before:
                mended = [
                    kind
                    for kind, field in (
                        ("email", "email"),
                        ("sms", "sms_number"),
                        ("webhook", "webhook_url"),
                        ("fhir", "fhir_url"),
                    )
                    if before[field] != getattr(self, field)
                ]
                BrokenChannel.objects.filter(contact=self, channel__in=mended).delete()
        super().save(*args, **kwargs)

    @property
    def handles(self) -> frozenset[str]:
        return handled_urgencies(handles_amber=self.handles_amber, handles_red=self.handles_red)

    def spec(self) -> ContactSpec:
        hours = ALWAYS if self.always_on_duty else tuple(h.window() for h in self.hours.all())
        return ContactSpec(self.name, self.handles, self.order, hours, ref=self.pk)

    def addresses(self) -> list[tuple[str, str]]:
        """(channel kind, address) for every alert channel the contact has."""
        pairs = (
            ("sms", self.sms_number),
            ("email", self.email),
            ("webhook", self.webhook_url),
            ("fhir", self.fhir_url),
        )
        return [(kind, address) for kind, address in pairs if address]

    def channels(self) -> list[tuple[str, str]]:
        """The contact's working channels: those with no permanent failure on record."""
        broken = {b.channel for b in self.broken_channels.all()}
        return [(kind, address) for kind, address in self.addresses() if kind not in broken]

    def clean(self):
        if not (self.handles_amber or self.handles_red):
            raise ValidationError("A contact handles amber, red, or both.")
        if not self.addresses():
            raise ValidationError(
                "A contact that takes alerts needs an alert email, SMS number, webhook or FHIR "
                "endpoint."
            )


class BrokenChannel(models.Model):
    """A contact's channel that failed permanently (a bad number, a refused address).

    Alerts skip it until an admin changes that address. Shown to admins."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="broken_channels")
    channel = models.CharField(max_length=16, choices=CHANNEL_KINDS)
    since = models.DateTimeField(default=timezone.now)
    error = models.CharField(max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "channel"], name="one_record_per_channel")
        ]

    def __str__(self):
        return f"{self.contact}: {self.channel} broken since {self.since:%Y-%m-%d %H:%M}"


class ContactHours(models.Model):
    """A weekly on-duty window, in the team's time zone."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="hours")
    days = models.CharField(max_length=40, help_text="mon-fri, sat,sun, or mon")
    start = models.CharField(max_length=5, help_text="HH:MM")
    end = models.CharField(max_length=5, help_text="HH:MM, up to 24:00; not included")

    class Meta:
        verbose_name_plural = "contact hours"

    def __str__(self):
        return f"{self.days} {self.start}-{self.end}"

    def window(self):
        return parse_window(self.days, self.start, self.end)

    def clean(self):
        try:
            self.window()
        except HoursError as exc:
            raise ValidationError(str(exc)) from exc
