"""Who is asking the FHIR API: the OAuth client whose bearer token the request
carries, and nothing else.

The API knows no session and no login: a browser's session cookie is ignored (the
request is anonymous until its token says otherwise), so the second factor, the idle
timeout and CSRF, which guard the session, have nothing to act on. A request with no
token, an unknown or expired one, or one of a revoked client gets a 401 with
`WWW-Authenticate: Bearer` (RFC 6750); a token without the scope for a resource type
a 403.
"""

import functools
import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import AccessToken

from .models import ClientAccess
from .responses import ApiError, error_response
from .scopes import allows

REALM = "fhir"


@dataclass(frozen=True)
class ApiClient:
    """The client a request acts for: its access, the scopes of its token, and the ids
    of the care teams whose patients it may read."""

    access: ClientAccess
    scopes: tuple[str, ...]
    team_ids: tuple[int, ...]

    @property
    def client_id(self) -> str:
        return self.access.application.client_id

    @property
    def name(self) -> str:
        return self.access.application.name

    def require(self, kind: str) -> None:
        if not allows(self.scopes, kind):
            raise ApiError(
                403,
                "forbidden",
                f"The token's scopes do not include reading {kind}.",
                headers={
                    "WWW-Authenticate": _challenge("insufficient_scope", f"system/{kind}.read")
                },
            )


def _challenge(error: str = "", description: str = "") -> str:
    value = f'Bearer realm="{REALM}"'
    if error == "insufficient_scope":
        return f'{value}, error="insufficient_scope", scope="{description}"'
    if error:
        value += f', error="{error}", error_description="{description}"'
    return value


def unauthorized(description: str = "", error: str = "invalid_token") -> ApiError:
    """401: no token (a bare challenge, RFC 6750 3.1) or a token that does not work."""
    header = _challenge(error, description) if description else _challenge()
    return ApiError(
        401,
        "login",
        description or "A bearer token is needed (OAuth 2.0 client credentials, /fhir/auth/token).",
        headers={"WWW-Authenticate": header},
    )


def authenticate(request) -> ApiClient:
    """The client of the request's bearer token, in two queries (the token with its
    client, then the client's teams), or ApiError 401."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not header:
        raise unauthorized()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("The Authorization header must be 'Bearer <token>'.", "invalid_request")
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    found = (
        AccessToken.objects.select_related("application__fhir_access")
        .filter(token_checksum=checksum)
        .first()
    )
    if found is None or found.application is None:
        raise unauthorized("The access token is not known.")
    if found.is_expired():
        raise unauthorized("The access token has expired.")
    access = getattr(found.application, "fhir_access", None)
    if access is None or access.revoked_at is not None:
        raise unauthorized("The client's access was revoked.")
    team_ids = tuple(access.teams.values_list("pk", flat=True))
    return ApiClient(access=access, scopes=tuple(found.scopes), team_ids=team_ids)


def token_view(view=None, *, methods=("GET", "HEAD")):
    """An API view: GET (and HEAD) only, or `methods` (an export's status URL also
    takes DELETE), with the request's client as `request.client` (authenticated
    first, before anything else is read), every error an OperationOutcome. Marked
    for TokenOnlyMiddleware and exempt from CSRF, which guards cookies the API does
    not read."""
    if view is None:
        return functools.partial(token_view, methods=methods)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.client = authenticate(request)
            if request.method not in methods:
                words = (
                    "This API is read-only: GET only."
                    if methods == ("GET", "HEAD")
                    else f"This URL takes {', '.join(methods)} only."
                )
                raise ApiError(405, "not-supported", words)
            return view(request, *args, **kwargs)
        except ApiError as error:
            response = error_response(error)
            if error.status == 405:
                response["Allow"] = ", ".join(methods)
            return response

    wrapped.fhir_token_only = True
    return csrf_exempt(wrapped)


def open_view(view):
    """An API view anyone may read without a token (the CapabilityStatement and the
    SMART configuration, as FHIR and SMART ask): GET and HEAD only, the session
    ignored as for `token_view`."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = error_response(ApiError(405, "not-supported", "GET only."))
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    wrapped.fhir_token_only = True
    return csrf_exempt(wrapped)


class TokenOnlyMiddleware:
    """Drops the session's user from a request to a token-only view (`token_view`, the
    token endpoint): what it may read is its token's to say. Installed after the
    authentication middlewares and before the idle timeout and the second factor, so
    that they see an anonymous request and let it through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "fhir_token_only", False):
            request.user = AnonymousUser()
        return None
