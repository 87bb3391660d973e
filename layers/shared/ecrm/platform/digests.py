"""The plain digest every key derives its hashed parts from (`ecrm.platform.keys`).

Contact ids, email hashes and every shard number are SHA-256 of their parts joined by a unit
separator: changing it would move every existing item, so it is spelled once, here.
"""

from __future__ import annotations

import hashlib


def digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()
