"""Signed tokens for links in mail: purpose-bound, expiring, single-use where it matters.

A token is `base64url(claims).base64url(HMAC-SHA256(key, purpose + claims))`. The key is an SSM
Parameter Store SecureString (the AWS managed key, no monthly fee): a rotation writes a new
version, and the version before it still verifies, so links already sent keep working until they
expire. Single use is enforced by the caller writing `keys.used_token(jti)` inside the
transaction that acts on the token. `keyring` is the one place the key is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Literal

from ecrm.platform import aws, entropy
from ecrm.platform.errors import InvalidToken, TokenExpired
from ecrm.platform.settings import settings

Purpose = Literal["confirm", "session", "sign_in", "unsubscribe", "email_change"]
# The parameter's latest version and the one before it (names kept from Secrets Manager).
Stage = Literal["AWSCURRENT", "AWSPREVIOUS"]
_KEY_CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class Claims:
    purpose: str
    subject: str
    ref: str
    jti: str
    expires_at: int | None


class _KeyRing:
    """Current and previous signing keys, fetched together on first use and cached for a while."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: tuple[float, dict[Stage, bytes | None]] | None = None

    def key(self, stage: Stage) -> bytes | None:
        with self._lock:
            if self._keys is None or time.monotonic() - self._keys[0] >= _KEY_CACHE_SECONDS:
                self._keys = (time.monotonic(), self._fetch())
            return self._keys[1][stage]

    @staticmethod
    def _fetch() -> dict[Stage, bytes | None]:
        client = aws.ssm()
        name = settings().token_key_parameter
        current = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        keys: dict[Stage, bytes | None] = {
            "AWSCURRENT": current["Value"].encode(),
            "AWSPREVIOUS": None,  # never rotated: there is no previous key
        }
        version = current["Version"]
        if version > 1:
            try:
                previous = client.get_parameter(Name=f"{name}:{version - 1}", WithDecryption=True)
            except client.exceptions.ParameterVersionNotFound:
                return keys  # SSM keeps a parameter's last 100 versions
            keys["AWSPREVIOUS"] = previous["Parameter"]["Value"].encode()
        return keys

    def forget(self) -> None:
        with self._lock:
            self._keys = None


keyring = _KeyRing()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def issue(purpose: Purpose, subject: str, ref: str = "", ttl_seconds: int | None = None) -> str:
    expires_at = int(time.time()) + ttl_seconds if ttl_seconds else None
    claims = {"p": purpose, "s": subject, "r": ref, "j": entropy.token_urlsafe(12), "e": expires_at}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    key = keyring.key("AWSCURRENT")
    assert key is not None
    return f"{body}.{_mac(key, purpose, body)}"


def _signed_by_known_key(purpose: str, body: str, signature: str) -> bool:
    stages: tuple[Stage, ...] = ("AWSCURRENT", "AWSPREVIOUS")
    for stage in stages:
        key = keyring.key(stage)
        if key is not None and hmac.compare_digest(_mac(key, purpose, body), signature):
            return True
    return False


def verify(token: str, purpose: Purpose, *, now: float | None = None) -> Claims:
    """The token's claims, or InvalidToken saying what is wrong (never which key was tried)."""
    body, _, signature = token.partition(".")
    if not body or not signature or len(token) > 1024:
        raise InvalidToken("This link is malformed.")
    if not _signed_by_known_key(purpose, body, signature):
        raise InvalidToken(
            "This link is not valid (it was altered or is meant for something else)."
        )
    try:
        raw = json.loads(_unb64(body))
        claims = Claims(str(raw["p"]), str(raw["s"]), str(raw["r"]), str(raw["j"]), raw["e"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidToken("This link is malformed.") from error
    if claims.purpose != purpose:
        raise InvalidToken("This link is meant for something else.")
    if claims.expires_at is not None and (now or time.time()) >= claims.expires_at:
        raise TokenExpired("This link has expired. Please ask for a new one.")
    return claims
