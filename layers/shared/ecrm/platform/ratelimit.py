"""Fixed-window counters with TTL, incremented inside the submission's own transaction: a
request over the limit cancels the transaction, so a rejected submission writes nothing.

A limit on an address counts the inbox, not the spelling: `Limit.per_address` keys it on
`normalise.mailbox` (tags and Gmail dots dropped), so aliases share one bucket."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecrm.platform import keys, normalise, store


@dataclass(frozen=True)
class Limit:
    scope: str  # what is counted: "ip", "email", "sign_in_email", "test_send_marketer"...
    subject: str  # hashed into the key (`keys.rate_counter`): no address is stored
    allowed: int
    window_seconds: int

    @classmethod
    def per_address(cls, scope: str, address: str, allowed: int, window_seconds: int) -> Limit:
        """A limit on mail to an address: every alias of one inbox counts in one bucket."""
        return cls(scope, normalise.mailbox(address), allowed, window_seconds)

    def window(self, at: float) -> int:
        return int(at // self.window_seconds)

    def retry_after(self, at: float) -> int:
        return max(1, math.ceil((self.window(at) + 1) * self.window_seconds - at))

    def count(self, at: float, hits: int = 1) -> store.Update:
        """Add `hits` (a request, or the mails it sends); fails if that would pass `allowed`."""
        if not 0 < hits <= self.allowed:
            raise ValueError("hits must be between 1 and the allowance")
        window = self.window(at)
        return store.Update(
            keys.rate_counter(self.scope, self.subject, window),
            "SET expires_at = :expires ADD hits :hits",
            condition="attribute_not_exists(hits) OR hits <= :room",
            values={
                ":hits": hits,
                ":room": self.allowed - hits,
                # DynamoDB deletes expired items lazily; the window in the key is what counts.
                ":expires": (window + 2) * self.window_seconds,
            },
        )
