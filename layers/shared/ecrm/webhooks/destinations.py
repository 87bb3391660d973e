"""Where a webhook may be delivered (no SSRF): checked when a marketer registers the URL and
again before every delivery, on the addresses the name resolves to at that moment.

A URL passes when it is `https`, names a host (no user or password in it, no fragment), uses
port 443, and every address its host resolves to is public: not private (10/8, 172.16/12,
192.168/16, fc00::/7), loopback (127/8, ::1), link-local (169.254/16 with the instance
metadata service, fe80::/10), multicast, shared (100.64/10), unspecified, reserved or for
documentation, nor an IPv6 address that carries such an IPv4 one (IPv4-mapped ::ffff:a.b.c.d,
6to4 2002::/16, NAT64 64:ff9b::/96, Teredo). Every address must pass, not one: a name that
resolves to a public and a private address is refused. Delivery then connects to the address
it checked (`transport`), never resolves the name a second time (no DNS rebinding between the
check and the connection), and follows no redirect.

`resolve` is the only name lookup; tests replace it (they never reach the network).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2048
PORTS = frozenset({443})  # receivers sit behind a TLS load balancer; no scans of odd ports
_NAMES_REFUSED = ("localhost", ".localhost", ".internal", ".local", ".home.arpa")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """A URL or an address webhooks may not reach; the message says why (no secret in it)."""


@dataclass(frozen=True)
class Target:
    """A checked URL's parts: connect to one of `addresses`, speak TLS to `host`."""

    host: str  # lower-case, IDNA (what TLS and the Host header name)
    port: int
    path: str  # path and query, "/" at least


def parse(url: object) -> Target:
    """The URL's parts, or `Refused` for one that is not a plain https URL on port 443."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL:
        raise Refused(f"An https URL of at most {MAX_URL} characters.")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        raise Refused("A URL without spaces, control characters or backslashes.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("Not a valid URL.") from None
    if parts.scheme != "https":
        raise Refused("Only https URLs: deliveries carry signed contact events.")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise Refused("A URL without a user name or password (the signature authenticates).")
    if parts.fragment:
        raise Refused("A URL without a fragment (#...).")
    host = _host(parts.hostname)
    if (port or 443) not in PORTS:
        raise Refused("Port 443 only (leave the port out).")
    path = parts.path or "/"
    return Target(host, port or 443, f"{path}?{parts.query}" if parts.query else path)


def _host(hostname: str | None) -> str:
    host = (hostname or "").rstrip(".")
    if not host:
        raise Refused("A URL that names a host.")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise Refused("A host name that is valid (IDNA).") from None
    if host in _NAMES_REFUSED or host.endswith(_NAMES_REFUSED):
        raise Refused("A public host: this name is local to a network.")
    return host


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Whether webhooks may connect to `address` (module docstring)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (the one network lookup; tests replace it)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in found]


def addresses(target: Target) -> list[str]:
    """The addresses to connect to for `target`, every one public, or `Refused`."""
    try:
        literal: Address | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    found = [str(literal)] if literal is not None else resolve(target.host, target.port)
    if not found:
        raise Refused("The host does not resolve.")
    checked: list[str] = []
    for raw in found:
        try:
            address = ipaddress.ip_address(raw.split("%", 1)[0])  # a zone id is not public
        except ValueError:
            raise Refused("The host resolves to something that is not an address.") from None
        if "%" in raw or not is_public(address):
            raise Refused("The host is or resolves to a private, local or reserved address.")
        checked.append(str(address))
    return checked


def check(url: object) -> tuple[Target, list[str]]:
    """`parse` then `addresses`: a URL webhooks may reach now, with where to connect."""
    target = parse(url)
    return target, addresses(target)
