"""The network edge: one function that POSTs and reports the outcome.

Channels call it; tests replace it (and nothing else) to stand in for a provider.
"""

import json as jsonlib
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import dataclass

from .base import ChannelError

TIMEOUT_SECONDS = 10
# 4xx means the request itself is wrong (a bad number, a bad URL): retrying will
# not help, except for these, which say "later".
RETRYABLE_4XX = {408, 409, 425, 429}


@dataclass(frozen=True)
class Response:
    status: int
    body: str


def post(url: str, *, form=None, json=None, headers=None, auth=None, body: bytes | None = None):
    """POST form fields, a JSON value or raw bytes; returns the Response for any status."""
    headers = dict(headers or {})
    if json is not None:
        body = jsonlib.dumps(json).encode()
        headers.setdefault("Content-Type", "application/json")
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if auth:
        token = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310
            return Response(reply.status, reply.read(2000).decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read(2000).decode(errors="replace"))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChannelError(f"could not reach {urllib.parse.urlsplit(url).netloc}: {exc}") from exc


def raise_for_status(response: Response, what: str, *, keep_body: bool = True) -> None:
    """2xx passes; 4xx is permanent (but for 'try later' codes); anything else transient.
    The error keeps the start of the reply (a provider's reason, shown to the team)
    unless `keep_body` is False: for an address a team typed in, whose reply must
    not be read back through the app."""
    if 200 <= response.status < 300:
        return
    body = response.body[:200] if keep_body else ""
    detail = f"{what}: HTTP {response.status} {body}".strip()
    permanent = 400 <= response.status < 500 and response.status not in RETRYABLE_4XX
    raise ChannelError(detail, permanent=permanent)
