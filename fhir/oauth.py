"""OAuth 2.0 for record systems, in the style of SMART Backend Services.

django-oauth-toolkit issues the tokens at /fhir/auth/token. A client is an
`Application` with a `ClientAccess` (fhir.models.access): confidential, client
credentials only, for read scopes only. It authenticates with its client id and
secret (HTTP Basic, or in the form body); SMART's signed JWT assertion is not
implemented. Secrets and tokens are kept only as hashes (the secret is shown once,
when the client is made), and a token lasts FHIR_TOKEN_SECONDS (5 minutes), with no
refresh token: the client asks again.
"""

from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken
from oauth2_provider.oauth2_validators import OAuth2Validator

from .models import ClientAccess
from .scopes import ALL_READ, SCOPES


class ClientCredentialsValidator(OAuth2Validator):
    """django-oauth-toolkit's validator, for FHIR clients only: an application with no
    ClientAccess, or a revoked one, is no client at all (invalid_client); the grant
    is client credentials; the scopes are read scopes the client was granted."""

    def _load_application(self, client_id, request):
        client = super()._load_application(client_id, request)
        if client is None or not is_live_client(client):
            request.client = None
            return None
        return client

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return grant_type == "client_credentials" and super().validate_grant_type(
            client_id, grant_type, client, request, *args, **kwargs
        )

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        granted = set(client.fhir_access.scope_list)
        return bool(scopes) and all(
            s in SCOPES and (s in granted or ALL_READ in granted) for s in scopes
        )

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return request.client.fhir_access.scope_list


def is_live_client(application) -> bool:
    """An application the FHIR API answers: a client-credentials client with access that
    stands."""
    try:
        access = application.fhir_access
    except ClientAccess.DoesNotExist:
        return False
    return (
        access.revoked_at is None
        and application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    )


def create_client(*, name: str, teams, created_by=None, scopes: str = ALL_READ):
    """Make a client that may read `teams`' patients. Returns (ClientAccess, secret):
    the secret in clear, which is never kept (only its hash) and so is shown once."""
    unknown = [s for s in scopes.split() if s not in SCOPES]
    if unknown or not scopes.split():
        raise ValueError(f"Not a read scope of this API: {' '.join(unknown) or '(none)'}")
    secret = generate_client_secret()
    with transaction.atomic():
        application = Application.objects.create(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
            redirect_uris="",
        )
        access = ClientAccess.objects.create(
            application=application, scopes=scopes, created_by=created_by
        )
        access.teams.set(teams)
    return access, secret


def revoke_client(access: ClientAccess) -> None:
    """Revoke a client: it gets no new token, and every token it holds stops working at
    once (deleted here; fhir.auth refuses a revoked client's token too)."""
    with transaction.atomic():
        ClientAccess.objects.filter(pk=access.pk, revoked_at=None).update(revoked_at=timezone.now())
        RefreshToken.objects.filter(application_id=access.application_id).delete()
        AccessToken.objects.filter(application_id=access.application_id).delete()
    access.refresh_from_db(fields=["revoked_at"])
