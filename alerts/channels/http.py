"""The network edge: the one HTTP client of the SMS and webhook channels.

Channels call `post`; tests replace it (and nothing else) to stand in for a provider.
Whatever address it is given (a webhook's is typed in by a coordinator), a call:

1. goes over https only, or plain http when OUTBOUND_ALLOW_HTTP is on (development);
2. resolves the host once and refuses it if any of its addresses is loopback,
   private, link-local (cloud metadata included), multicast, unspecified or
   reserved, unless OUTBOUND_ALLOWED_NETWORKS lists that network; the SMS API's
   host, which the operator set, is trusted (`trusted=True`);
3. connects to an address it checked, so that a DNS answer that changes between
   the check and the connection (DNS rebinding) cannot move it, while TLS still
   verifies the certificate against the host name;
4. gives up after OUTBOUND_TIMEOUT_SECONDS without a connection or a reply;
5. follows no redirect (a 3xx is a permanent failure) and reads nothing of the
   reply but its status: no body or header of it is kept, logged or shown, so the
   app cannot be used to read what a server on the hospital's network answers.

Failures are ChannelErrors with a short reason ("webhook: address not allowed").
"""

import http.client
import ipaddress
import json as jsonlib
import socket
import ssl
import urllib.parse
from base64 import b64encode
from dataclasses import dataclass

from django.conf import settings

from base.outbound import address_allowed, resolve

from .base import ChannelError

# 4xx means the request itself is wrong (a bad number, a bad URL): retrying will
# not help, except for these, which say "later".
RETRYABLE_4XX = {408, 409, 425, 429}
USER_AGENT = "symptom-tracker-alerts"


@dataclass(frozen=True)
class Response:
    """What is kept of a reply: its status code, nothing else."""

    status: int


def post(
    url: str,
    *,
    what: str = "request",
    form=None,
    json=None,
    headers=None,
    auth=None,
    body: bytes | None = None,
    trusted: bool = False,
) -> Response:
    """POST form fields, a JSON value or raw bytes to `url` (see the module's rules).

    Returns the Response for any status (`raise_for_status` judges it); raises
    ChannelError, its message starting with `what`, when nothing could be asked.
    `trusted`: the operator set this URL, so its host's addresses are not checked.
    """
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if json is not None:
        body = jsonlib.dumps(json).encode()
        headers.setdefault("Content-Type", "application/json")
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if auth:
        token = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"

    parts = urllib.parse.urlsplit(url)
    allowed_schemes = ("https", "http") if settings.OUTBOUND_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed_schemes:
        raise ChannelError(f"{what}: https only", permanent=True)
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port out of range
        host = None
    if not host:
        raise ChannelError(f"{what}: not a valid address", permanent=True)
    addresses = checked_addresses(host, port, what=what, trusted=trusted)
    timeout = settings.OUTBOUND_TIMEOUT_SECONDS
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection._create_connection = _pinned(addresses)  # the host name stays for TLS
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        return Response(connection.getresponse().status)  # the body is never read
    except TimeoutError as exc:
        raise ChannelError(f"{what}: timeout") from exc
    except http.client.InvalidURL as exc:  # a space or control character in the path
        raise ChannelError(f"{what}: not a valid address", permanent=True) from exc
    except ssl.SSLCertVerificationError as exc:
        raise ChannelError(f"{what}: TLS certificate refused") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise ChannelError(f"{what}: could not connect ({type(exc).__name__})") from exc
    finally:
        connection.close()


def raise_for_status(response: Response, what: str) -> None:
    """2xx passes; a redirect is refused (permanent: it is never followed); 4xx is
    permanent (but for 'try later' codes); anything else transient. Only the
    status code is told, never anything the server sent."""
    status = response.status
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        raise ChannelError(f"{what}: redirect refused", permanent=True)
    permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
    raise ChannelError(f"{what}: HTTP {status}", permanent=permanent)


def checked_addresses(host: str, port: int, *, what: str, trusted: bool) -> list[str]:
    """The addresses of `host` to connect to, each one allowed; ChannelError if any
    is not (a name with one private address among public ones is refused whole)."""
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:  # socket.gaierror: a name with no address (yet)
        raise ChannelError(f"{what}: host not found") from exc
    if not addresses:
        raise ChannelError(f"{what}: host not found")
    if not trusted:
        for address in addresses:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])  # fe80::1%eth0
            if not address_allowed(parsed):
                raise ChannelError(f"{what}: address not allowed", permanent=True)
    return addresses


def _pinned(addresses: list[str]):
    """http.client's connect function, bound to the checked addresses: tried in turn,
    like socket.create_connection, never resolving the host name again."""

    def connect(host_port, timeout, source_address=None):
        error = None
        for address in addresses:
            try:
                return socket.create_connection((address, host_port[1]), timeout, source_address)
            except TimeoutError:
                raise
            except OSError as exc:
                error = exc
        raise error

    return connect
