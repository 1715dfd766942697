"""The real client address of a request, behind trusted reverse proxies.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only when the peer is one of the
proxies named in `TRUSTED_PROXIES`. The header is then read from the right (the entry the nearest proxy added)
to the left, skipping the addresses of trusted proxies: the first address that is not one is the client. An
entry that is not an IP address ends the walk (everything left of it may be forged); so does the header's end.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from litestar.types import Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def parse_networks(networks: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in networks)


def _address(value: str) -> IPAddress | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_address(peer: str, forwarded_for: list[str], trusted: tuple[str, ...]) -> str:
    """The client's address: `peer`, or from the `X-Forwarded-For` values when `peer` is a trusted proxy."""
    networks = parse_networks(trusted)
    current = _address(peer)
    if current is None or not networks or not _trusted(current, networks):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


def client_ip(scope: Scope, trusted: tuple[str, ...] = ()) -> str:
    """The client address of an ASGI request (see the module docstring)."""
    client = scope.get("client")
    peer = client[0] if client else ""
    if not trusted:
        return peer
    forwarded = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"]
    return client_address(peer, forwarded, trusted)
