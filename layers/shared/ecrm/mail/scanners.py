"""Opens and clicks that no person made: security gateways that follow every link on delivery,
and proxies that fetch every image in advance. They are recorded (flagged `scanner: true`) but
count neither in campaign stats nor for scoring.

Three signals, any of which is enough: the event came within `SCANNER_WINDOW_SECONDS` of SES
accepting the mail (people do not read that fast; gateways do it on delivery), the user agent
names a scanner or an HTTP library, or the address is in a network known to prefetch.
"""

from __future__ import annotations

import ipaddress
from functools import cache

# Lower-case fragments of user agents sent by link scanners and HTTP libraries.
_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "urldefense",
    "messagelabs",
    "symantec",
    "trend micro",
    "trendmicro",
    "forcepoint",
    "sophos",
    "ironport",
    "fortinet",
    "safelinks",
    "microsoft office existence discovery",
    "python-requests",
    "python-urllib",
    "curl/",
    "wget/",
    "go-http-client",
    "okhttp",
    "java/",
    "headlesschrome",
    "bot",
    "spider",
    "crawler",
    "scanner",
)
# Apple Mail Privacy Protection prefetches from Apple's network; Exchange Online Protection
# (Safe Links) from Microsoft's published EOP ranges.
_NETWORKS = ("17.0.0.0/8", "40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17")


@cache
def _networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n) for n in _NETWORKS)


def is_scanner(
    *, ip: str | None, user_agent: str | None, seconds_after_send: float, window: float
) -> bool:
    if seconds_after_send < window:
        return True
    agent = (user_agent or "").lower()
    if not agent or any(fragment in agent for fragment in _AGENTS):
        return True
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return any(address in network for network in _networks())
