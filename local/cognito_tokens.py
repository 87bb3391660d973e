"""Checking a Cognito ID token as API Gateway's Cognito user-pool authorizer does, for
`ecrm serve`: RS256 signature against the pool's JWKS, issuer (the pool), audience (the app
client), `token_use` and expiry; then the claims as API Gateway hands them to the function
(strings; `cognito:groups` joined with commas).

Only ID tokens: the template's admin routes name no OAuth scope, and without one API Gateway
accepts the ID token and refuses the access token. Verified with `cryptography` (moto's own
dependency), not a JWT library: four checks, no algorithm taken from the token.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from local.cognito import ConsolePool

MAX_TOKEN = 16_384  # characters: a Cognito ID token is 1-2 KB; anything longer is refused unread


class TokenRefused(Exception):
    """Why a token does not sign anyone in (for tests; the caller only ever sees a 401)."""


def _b64(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as error:
        raise TokenRefused("not base64url") from error


def _json(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64(part))
    except ValueError as error:
        raise TokenRefused("not JSON") from error
    if not isinstance(value, dict):
        raise TokenRefused("not a JSON object")
    return value


def _integer(value: str) -> int:
    return int.from_bytes(_b64(value), "big")


class CognitoTokens:
    """The pool's keys are fetched once, on the first token (moto serves them)."""

    def __init__(
        self, pool: ConsolePool, clock: Callable[[], float] = time.time, keys: Any = None
    ) -> None:
        self.pool, self.clock = pool, clock
        self._keys: dict[str, RSAPublicKey] | None = None
        self._lock = threading.Lock()
        if keys is not None:
            self._keys = self._read_keys(keys)

    def claims(self, token: str) -> dict[str, str]:
        """The token's claims as API Gateway passes them, or TokenRefused."""
        if len(token) > MAX_TOKEN or token.count(".") != 2:
            raise TokenRefused("not a JWT")
        head, body, signature = token.split(".")
        header = _json(head)
        if header.get("alg") != "RS256":  # never "none", never HS256 with the public key
            raise TokenRefused("algorithm")
        key = self.keys().get(str(header.get("kid")))
        if key is None:
            raise TokenRefused("unknown key")
        try:
            key.verify(
                _b64(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature as error:
            raise TokenRefused("signature") from error
        payload = _json(body)
        if payload.get("iss") != self.pool.issuer:
            raise TokenRefused("another pool")
        if payload.get("token_use") != "id":
            raise TokenRefused("not an ID token")
        if payload.get("aud") != self.pool.client_id:
            raise TokenRefused("another app client")
        expires = payload.get("exp")
        if not isinstance(expires, int | float) or expires <= self.clock():
            raise TokenRefused("expired")
        if not payload.get("sub"):
            raise TokenRefused("no subject")
        return {name: _flat(value) for name, value in payload.items()}

    def keys(self) -> dict[str, RSAPublicKey]:
        with self._lock:
            if self._keys is None:
                with urllib.request.urlopen(self.pool.jwks_url, timeout=10) as answer:  # noqa: S310 - moto on loopback
                    self._keys = self._read_keys(json.load(answer))
            return self._keys

    @staticmethod
    def _read_keys(document: dict[str, Any]) -> dict[str, RSAPublicKey]:
        return {
            str(key["kid"]): RSAPublicNumbers(_integer(key["e"]), _integer(key["n"])).public_key()
            for key in document.get("keys", [])
            if key.get("kty") == "RSA"
        }


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
