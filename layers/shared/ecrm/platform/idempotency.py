"""Idempotency markers written inside the operation's own transaction.

The marker is one more Put in the same TransactWriteItems as the work it guards: the work and the
marker land together or not at all, with no extra round trip and no in-progress state to expire
(which a separate idempotency layer would need). A retry cancels on the marker's condition and
reads the stored answer back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecrm.platform import keys, store


@dataclass(frozen=True)
class Marker:
    scope: str
    key: str
    expires_at: int

    def claim(self, answer: dict[str, Any], now: float) -> store.Put:
        item = {**keys.idempotency(self.scope, self.key), "type": "idempotency"}
        return store.Put(
            {**item, "answer": answer, "expires_at": self.expires_at},
            # An expired marker (TTL deletion is lazy) no longer counts.
            condition="attribute_not_exists(pk) OR expires_at < :now",
            values={":now": int(now)},
        )

    def first_answer(self) -> dict[str, Any] | None:
        item = store.get(keys.idempotency(self.scope, self.key))
        return item["answer"] if item else None
