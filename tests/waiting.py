"""Waiting for a state, not for a time: poll until it holds, with a deadline generous enough
for a machine whose cores are busy with other work (the deadline only bounds a failure)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEADLINE = 120.0  # seconds


def wait_for(
    look: Callable[[], T],
    until: Callable[[T], bool] = bool,
    *,
    timeout: float = DEADLINE,
    every: float = 0.1,
) -> T:
    """Call `look` until `until(value)` holds and return that value; after `timeout` seconds,
    return the last value seen (the caller's assertion then says what was wrong)."""
    deadline = time.monotonic() + timeout
    while True:
        value = look()
        if until(value) or time.monotonic() >= deadline:
            return value
        time.sleep(every)
