"""Keyed pseudonyms of addresses and contact ids: what must outlive an erasure (the suppression
of an erased address, the erasure record, a campaign's engagement markers of an erased
recipient) is keyed by HMAC-SHA256 with the pseudonym key, an SSM Parameter Store SecureString
(`PseudonymKeyParameter`), so someone holding a copy of the table, a backup or a log but not the
key cannot test whether an address was ever a contact.

The key is a parameter of its own, never rotated: the token signing key rotates, and a
pseudonym that changed with it would orphan every suppression of an erased address. It is read
once per process, only by the paths that need it (erasure, a mail event for an address no
contact has, a send, a confirmation or an import of an address that may have been erased):
never by a form submission.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

from ecrm.platform import aws
from ecrm.platform.settings import settings

_lock = threading.Lock()
_key: list[bytes] = []  # the key once read (it never changes while a process lives)


def _secret() -> bytes:
    with _lock:
        if not _key:
            name = settings().pseudonym_key_parameter
            if not name:
                raise RuntimeError("PSEUDONYM_KEY_PARAMETER is not set")
            found = aws.ssm().get_parameter(Name=name, WithDecryption=True)
            _key.append(found["Parameter"]["Value"].encode())
        return _key[0]


def of(label: str, value: str) -> str:
    """The keyed pseudonym of `value` for one purpose (`label`), hex."""
    return hmac.new(_secret(), f"{label}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def erased_contact(contact_id: str) -> str:
    """What a campaign's unique-engagement markers name a contact by once it is erased."""
    return "k." + of("engagement", contact_id)


def forget() -> None:
    """Drop the cached key (tests, a process that switches stacks)."""
    with _lock:
        _key.clear()
