"""The client's address, for the login lockout (django-axes) and the audit trail.

REMOTE_ADDR by default: anyone can send an X-Forwarded-For header, so it is
ignored. Behind reverse proxies, set TRUSTED_PROXY_COUNT to how many there
are: each appends the address it was connected from to X-Forwarded-For, so
the client is that many entries from the right, and whatever the client wrote
itself, further left, is never read.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's address, or None when there is no valid one to read."""
    address = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:  # else not through the proxies: the connection's own
            address = hops[-count]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
