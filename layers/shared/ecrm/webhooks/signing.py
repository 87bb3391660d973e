"""Webhook signatures: `Ecrm-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The HMAC's key is the endpoint's secret (`whsec_…`, its UTF-8 bytes) and its message the
timestamp, a dot and the raw body: `f"{t}.".encode() + body`. While a rotated secret's previous
value still lives (24 h), the header carries one `v1=` per secret, the new one first.

`verify` is the receiver's recipe (docs/design/webhooks.md shows it to copy): read `t` and every
`v1` from the header, refuse a `t` further than `tolerance` seconds from now (a replayed
request, captured once, is refused once it is older than that), compute the HMAC over the body
exactly as received (before any JSON parsing), compare in constant time with each `v1`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

HEADER = "Ecrm-Signature"
TOLERANCE_SECONDS = 300


def _mac(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def header(secrets: Sequence[str], body: bytes, t: int) -> str:
    """The header's value for `body` sent at `t`, signed with each live secret."""
    return ",".join([f"t={t}", *(f"v1={_mac(secret, t, body)}" for secret in secrets)])


def verify(
    secret: str, value: str | None, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether a delivery is genuine and fresh (the receiver's side)."""
    t: int | None = None
    signatures: list[str] = []
    for part in (value or "").split(","):
        name, _, content = part.strip().partition("=")
        if name == "t" and content.isdigit() and len(content) <= 12:
            t = int(content)
        elif name == "v1":
            signatures.append(content)
    if t is None or not signatures or abs(now - t) > tolerance:
        return False
    expected = _mac(secret, t, body)
    return any(hmac.compare_digest(expected, given) for given in signatures)
