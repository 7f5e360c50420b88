"""The client's address, for the audit trail, and the client's network, for the
limits on guesses and emails (the login lockout, django-axes; password resets).

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


def client_network(request) -> str | None:
    """The client as a limit counts it: its IPv4 address, or its IPv6 /64, which one
    household or one server usually holds whole (so changing address within it is
    not a new client). An IPv4 client seen on a dual-stack socket (::ffff:a.b.c.d)
    is its IPv4 address. None when there is no valid address to read."""
    address = client_address(request)
    if address is None:
        return None
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address
