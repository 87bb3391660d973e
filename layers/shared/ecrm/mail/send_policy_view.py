"""The account's send policy as senders read it: plain frozen values, no pydantic (the campaign
sender's and the tick's cold starts), read from the stored item as saved (`send_policy`
validates it then), cached like other definitions (`DEFINITION_CACHE_SECONDS`: a change
reaches every sender within that time; `ecrm serve` sets 0).

- `FrequencyCap`: at most `max_mails` marketing mails per contact in any `period_days` days
  (`ecrm.mail.frequency_cap`); None when off.
- `QuietHours`: no marketing mail from `start` to `end` (local wall-clock minutes of the day,
  the window may cross midnight) in the contact's zone, else `zone` (`ecrm.mail.quiet_hours`);
  None when off.
- `zone`: the account's zone for recipients without one of their own (`ecrm.mail.zones`),
  set with quiet hours' `time_zone` whether they are on or off.

Transactional mail (confirmations, sign-in links, address changes) and test sends never read it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.platform import keys, store
from ecrm.platform.settings import settings

DAY = 86_400


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    max_mails: int
    period_days: int

    @property
    def period(self) -> int:
        """The window, in seconds."""
        return self.period_days * DAY


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: int  # minutes after local midnight, inclusive
    end: int  # minutes after local midnight, exclusive; below `start`: crosses midnight
    zone: str  # the account's default zone (IANA name)


@dataclass(frozen=True, slots=True)
class SendPolicy:
    cap: FrequencyCap | None = None
    quiet: QuietHours | None = None
    version: int = 0
    zone: str = "UTC"  # the account's zone (quiet hours' `time_zone`, even when they are off)

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> SendPolicy:
        if not item:
            return OFF
        cap = item.get("frequency_cap") or {}
        quiet = item.get("quiet_hours") or {}
        return cls(
            cap=FrequencyCap(int(cap["max_mails"]), int(cap["period_days"]))
            if cap.get("enabled")
            else None,
            quiet=QuietHours(
                minutes(quiet["start"]), minutes(quiet["end"]), str(quiet["time_zone"])
            )
            if quiet.get("enabled")
            else None,
            version=int(item.get("version", 0)),
            zone=str(quiet.get("time_zone") or "UTC"),
        )


OFF = SendPolicy()


def minutes(hh_mm: str) -> int:
    """`"21:30"` -> 1290."""
    hours, _, mins = str(hh_mm).partition(":")
    return int(hours) * 60 + int(mins)


_cache: tuple[float, SendPolicy] | None = None
_lock = threading.Lock()


def current() -> SendPolicy:
    """The policy in force (cached for `DEFINITION_CACHE_SECONDS`)."""
    global _cache  # noqa: PLW0603 - a one-entry cache shared by the threads of one process
    with _lock:
        cached = _cache
    if cached and time.monotonic() - cached[0] < settings().definition_cache_seconds:
        return cached[1]
    policy = SendPolicy.from_item(store.get(keys.send_policy(), consistent=False))
    with _lock:
        _cache = (time.monotonic(), policy)
    return policy


def forget_cached() -> None:
    global _cache  # noqa: PLW0603
    with _lock:
        _cache = None
