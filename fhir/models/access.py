from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from fhir.scopes import ALL_READ, SCOPES


class ClientAccess(models.Model):
    """A record system's access to the FHIR API: one OAuth client (a django-oauth-toolkit
    Application, client credentials only), the care teams whose patients it may read,
    and the scopes it may ask for. Revoked, it gets no new token and every token it
    holds stops working at once (fhir.oauth.revoke_client, fhir.auth)."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="fhir_access",
    )
    teams = models.ManyToManyField(
        "patients.CareTeam",
        related_name="fhir_clients",
        help_text="The care teams whose patients (and their records) the client may read",
    )
    scopes = models.CharField(
        max_length=400,
        default=ALL_READ,
        help_text="Space-separated read scopes the client may be granted: "
        "system/*.read, or system/Patient.read and the like",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API client"
        verbose_name_plural = "API clients"
        ordering = ["-created_at"]

    def __str__(self):
        return self.application.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split() if s in SCOPES]
