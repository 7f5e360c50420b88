"""SMS replies: the trail of each check-in a patient sent by SMS, and what makes a
reply the provider delivers twice count once."""

from django.db import models
from django.utils import timezone

from .record import CheckIn, Patient


class SmsReply(models.Model):
    """An accepted SMS reply (the webhook saves nothing for any other): who sent it,
    the provider's id of the message, when it came, the check-in it made and what the
    patient was answered.

    The message's text is not kept: a reply is only codes (clinical/sms.py), all of
    them in the check-in's answers, so a copy would only be one more place holding a
    patient's symptoms, unreached by the check-in's own rules (erasure, access)."""

    OUTCOME_CHOICES = [
        ("emergency", "Told to call the emergency number"),
        ("red", "Told to call the urgent line now"),
        ("amber", "Told to contact the team today"),
        ("green", "Thanked"),
    ]
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sms_replies")
    message_sid = models.CharField(
        "provider's message id",
        max_length=64,
        unique=True,
        help_text="A reply the provider delivers again is answered, never saved twice",
    )
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=OUTCOME_CHOICES)
    check_in = models.OneToOneField(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_reply"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "SMS reply"
        verbose_name_plural = "SMS replies"

    def __str__(self):
        return f"SMS reply {self.message_sid} ({self.outcome})"
