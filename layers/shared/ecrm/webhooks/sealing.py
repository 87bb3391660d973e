"""Endpoint secrets derived, never stored: the item keeps a random salt, and the secret is
`whsec_` + base64url(HMAC-SHA256(webhook key, "ecrm-webhook-secret" | endpoint id | salt)).
The webhook key is an SSM SecureString (`WEBHOOK_KEY_PARAMETER`, made once before the first
deploy, as the token signing key is): the webhooks API reads it to answer a new secret once,
the delivery worker to sign; nothing else may (IAM). A table export, a backup or another
function's read holds salts, which give nothing without the key, and a salt copied onto another
endpoint derives another secret (the id is in the HMAC). docs/security.md ("Webhook
secrets") argues it against KMS-encrypted attributes and one parameter per endpoint.

The key is read once per warm container (one GetParameter per cold start).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading

from ecrm.platform import aws
from ecrm.platform.settings import settings

PREFIX = "whsec_"
_LABEL = b"ecrm-webhook-secret"
_lock = threading.Lock()
_key: list[bytes] = []


def _webhook_key() -> bytes:
    with _lock:
        if not _key:
            name = settings().webhook_key_parameter
            if not name:
                raise RuntimeError("WEBHOOK_KEY_PARAMETER is not set")
            found = aws.ssm().get_parameter(Name=name, WithDecryption=True)
            _key.append(found["Parameter"]["Value"].encode())
        return _key[0]


def secret(webhook_id: str, salt: str) -> str:
    """The signing secret of endpoint `webhook_id` with `salt` (its item's)."""
    message = b"\x1f".join((_LABEL, webhook_id.encode(), salt.encode()))
    digest = hmac.new(_webhook_key(), message, hashlib.sha256).digest()
    return PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def forget_cached() -> None:
    with _lock:
        _key.clear()
