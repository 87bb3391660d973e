"""Fixed-window counters with TTL, incremented inside the submission's own transaction: a
request over the limit cancels the transaction, so a rejected submission writes nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecrm import keys, store


@dataclass(frozen=True)
class Limit:
    scope: str  # "ip" or "email"
    subject: str
    allowed: int
    window_seconds: int

    def window(self, at: float) -> int:
        return int(at // self.window_seconds)

    def retry_after(self, at: float) -> int:
        return max(1, math.ceil((self.window(at) + 1) * self.window_seconds - at))

    def count(self, at: float) -> store.Update:
        window = self.window(at)
        return store.Update(
            keys.rate_counter(self.scope, self.subject, window),
            "SET expires_at = :expires ADD hits :one",
            condition="attribute_not_exists(hits) OR hits < :allowed",
            values={
                ":one": 1,
                ":allowed": self.allowed,
                # DynamoDB deletes expired items lazily; the window in the key is what counts.
                ":expires": (window + 2) * self.window_seconds,
            },
        )
