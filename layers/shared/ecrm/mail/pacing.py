"""SES send pacing shared by every campaign worker: a token bucket in one table item.

The rate is the account's SES `MaxSendRate` (SES v2 GetAccount, read every few minutes) times
`SEND_RATE_SHARE` (headroom for transactional mail), or `MAX_SEND_RATE` when that is set (a
cap, and what the local stack uses). Concurrency is bounded by the queue's event source
(`ScalingConfig.MaximumConcurrency`); the rate is shared through the table, whatever the
number of workers.

The bucket is GCRA: the item holds `tat`, the theoretical arrival time of the next send. A
worker reserves `n` sends with one `ADD tat n/rate` (no read, no conflict between workers), gets
back the new `tat`, and sends the `n` messages spaced `1/rate` apart from `tat - n/rate` on,
sleeping until each one's slot. An idle bucket (its `tat` long past) is moved to now with a
conditional write, so idleness never turns into a burst. A throttle from SES pushes `tat`
forward for everyone (`penalise`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ecrm.platform import aws, keys, store
from ecrm.platform.settings import settings

RATE_CACHE_SECONDS = 300.0
SLOT_SECONDS = 0.3  # a reservation covers about this much sending time (a batch at 200/s)
# A reservation that starts this far in the past resets the bucket, and a sender this late for
# a slot skips it (and takes a new reservation when none is left): sends then happen within
# LATE_TOLERANCE of their slots, so no one-second window sees more than
# rate * (1 + LATE_TOLERANCE) + 1 of them. A worker starved of CPU wakes later than that for
# every slot: each slot it misses in a row doubles the lateness it accepts (`tolerance`), so
# it sends late rather than never; what that puts over SES's rate, SES throttles (`penalise`).
IDLE_TOLERANCE = LATE_TOLERANCE = 0.02

_cache: tuple[float, float] | None = None
_lock = threading.Lock()


def account_max_send_rate() -> float:
    """Sends per second SES allows this account (GetAccount), cached for a few minutes."""
    global _cache  # noqa: PLW0603 - one value per process, shared by its threads
    with _lock:
        if _cache and time.monotonic() - _cache[0] < RATE_CACHE_SECONDS:
            return _cache[1]
    quota = aws.sesv2().get_account().get("SendQuota", {})
    rate = float(quota.get("MaxSendRate") or 1.0)
    with _lock:
        _cache = (time.monotonic(), rate)
    return rate


def campaign_rate() -> float:
    cfg = settings()
    base = cfg.max_send_rate if cfg.max_send_rate else account_max_send_rate()
    return max(0.1, base * cfg.send_rate_share)


def forget_cached() -> None:
    global _cache  # noqa: PLW0603
    with _lock:
        _cache = None


@dataclass(frozen=True)
class Reservation:
    start: float  # epoch seconds of the first send
    interval: float  # seconds between two sends
    count: int

    @classmethod
    def empty(cls, rate: float) -> Reservation:
        """No slot yet: the first `usable` call finds none and reserves."""
        return cls(0.0, 1.0 / rate, 0)

    def slot(self, index: int) -> float:
        return self.start + index * self.interval

    def usable(self, index: int, now: float, tolerance: float | None = None) -> int:
        """The first slot from `index` on that is not too late to use at `now` (`count` when
        none is left): a late sender skips the slots it missed, and only those. `tolerance`
        is `LATE_TOLERANCE` unless given (read now: the benches change it)."""
        late = LATE_TOLERANCE if tolerance is None else tolerance
        missed = math.ceil((now - late - self.start) / self.interval - 1e-9)
        return min(self.count, max(index, missed))


def tolerance(misses: int) -> float:
    """The lateness a sender accepts after missing `misses` slots in a row."""
    return LATE_TOLERANCE * 2.0 ** min(misses, 16)


Sleep = Callable[[float], None]


def chunk_size(rate: float, total: int | None = None) -> int:
    """Sends per reservation: about `SLOT_SECONDS` of sending (at most 50), and `total` sends
    split into equal chunks. With two workers taking turns, one worker's work between two of
    its chunks (marks, tally, the next batch's reads and claims) happens while the other
    sends; a short tail chunk (15 + 15 + 15 + 5) would end the other's turn before that work
    does, and leave the slots between unused (batches are equal parts too: `campaigns.plan`)."""
    most = max(1, min(50, round(rate * SLOT_SECONDS)))
    if not total:
        return most
    return math.ceil(total / math.ceil(total / most))


def reserve(count: int, rate: float, *, now: Callable[[], float] = time.time) -> Reservation:
    """Reserve `count` sends at `rate`: one UpdateItem (two when the bucket was idle)."""
    interval = 1.0 / rate
    # Four decimals (0.1 ms) keep every value exact through a float and back (`:seen`).
    span = Decimal(str(round(count * interval, 4)))
    while True:
        updated = store.write(
            store.Update(keys.send_pace(), "ADD tat :span", values={":span": span})
        )
        tat = float(updated["tat"])
        start = tat - float(span)
        moment = now()
        if start >= moment - IDLE_TOLERANCE:
            return Reservation(start, interval, count)
        fresh = Decimal(str(round(moment, 4))) + span
        try:  # idle: start from now, unless another worker moved the bucket meanwhile
            store.write(
                store.Update(
                    keys.send_pace(),
                    "SET tat = :fresh",
                    condition="tat = :seen",
                    values={":fresh": fresh, ":seen": updated["tat"]},
                )
            )
        except store.ConditionFailed:
            continue
        return Reservation(moment, interval, count)


def penalise(seconds: float) -> None:
    """SES throttled us: every worker waits `seconds` longer before its next reservation."""
    store.write(
        store.Update(
            keys.send_pace(), "ADD tat :pause", values={":pause": Decimal(str(round(seconds, 3)))}
        )
    )


def wait_until(at: float) -> None:
    """Sleep until the epoch second `at` (a reservation's slot)."""
    delay = at - time.time()
    if delay > 0:
        time.sleep(delay)
