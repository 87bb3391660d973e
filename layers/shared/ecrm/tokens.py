"""Signed tokens for links in mail: purpose-bound, expiring, single-use where it matters.

A token is `base64url(claims).base64url(HMAC-SHA256(key, purpose + claims))`. The key lives in
Secrets Manager; after a rotation the AWSPREVIOUS key still verifies, so links already sent keep
working until they expire. Single use is enforced by the caller writing `keys.used_token(jti)`
inside the transaction that acts on the token.
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

from ecrm import aws, entropy
from ecrm.errors import InvalidToken, TokenExpired
from ecrm.settings import settings

Purpose = Literal["confirm", "session", "sign_in", "unsubscribe", "email_change"]
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
    """Current and previous signing keys, fetched on first use and cached for a while."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, bytes | None]] = {}

    def key(self, stage: Stage) -> bytes | None:
        with self._lock:
            cached = self._keys.get(stage)
            if cached and time.monotonic() - cached[0] < _KEY_CACHE_SECONDS:
                return cached[1]
            value = self._fetch(stage)
            self._keys[stage] = (time.monotonic(), value)
            return value

    @staticmethod
    def _fetch(stage: str) -> bytes | None:
        client = aws.secretsmanager()
        try:
            secret = client.get_secret_value(
                SecretId=settings().token_secret_arn, VersionStage=stage
            )
        except client.exceptions.ResourceNotFoundException:
            if stage == "AWSCURRENT":
                raise
            return None  # never rotated: there is no previous key
        key = json.loads(secret["SecretString"])["key"]
        return str(key).encode()

    def forget(self) -> None:
        with self._lock:
            self._keys.clear()


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
