"""Which addresses the app may call out to (alerts/channels/http.py checks every call;
a contact's webhook address is checked when it is saved too): public ones, and those
in a network OUTBOUND_ALLOWED_NETWORKS lists. Loopback, private, link-local (cloud
metadata included), multicast, unspecified and reserved addresses are refused, also
when written inside an IPv6 address (::ffff:a.b.c.d, 6to4, NAT64)."""

import ipaddress
import socket
import urllib.parse

from django.conf import settings
from django.core.exceptions import ValidationError

# Where an IPv6 address holds an IPv4 one that a gateway would reach for it.
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NOT_ALLOWED = (
    "Alerts cannot be sent to this address: it is on a private or local network. "
    "Give the receiver's public address, or ask the operator to allow its network "
    "(OUTBOUND_ALLOWED_NETWORKS)."
)


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` has, in the resolver's order of preference."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in found))


def address_allowed(address: Address) -> bool:
    """Whether a call may go to `address`: a public one, or one in a network that
    OUTBOUND_ALLOWED_NETWORKS lists."""
    listed = (ipaddress.ip_network(n) for n in settings.OUTBOUND_ALLOWED_NETWORKS)
    if any(address.version == net.version and address in net for net in listed):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_allowed(embedded)
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def validate_outbound_url(url: str) -> None:
    """A form's check of an address alerts will be sent to (a webhook's), as the
    coordinator types it: refused when its host is, or resolves to, an address no call
    may go to. A host that does not resolve now is let through: every call checks
    again, and a name may be published later."""
    parts = urllib.parse.urlsplit(url or "")
    host = parts.hostname
    if not host or parts.scheme not in ("https", "http"):
        return  # the field's own check says what is wrong with it
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host, 443)]
        except (OSError, UnicodeError, ValueError):
            return
    if not all(address_allowed(address) for address in addresses):
        raise ValidationError(NOT_ALLOWED, code="address_not_allowed")
