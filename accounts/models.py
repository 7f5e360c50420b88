from django.conf import settings
from django.db import models
from django.utils import timezone


class TwoFactorActivation(models.Model):
    """A one-time code an admin gives a clinician or admin so that they can set up
    their first authenticator app (accounts/activation.py): with a password alone
    nobody can. Only the code's hash is kept; the admin sees the code once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor_activations"
    )
    code_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the code")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The admin who issued it; empty when issued on the server's command line",
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        return f"Two-factor activation {self.pk} for user {self.user_id}"
