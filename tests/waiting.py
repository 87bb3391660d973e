"""Waiting for a state, not for a time: poll until it holds, with a deadline generous enough
for a machine whose cores are busy with other work (the deadline only bounds a failure).

At the deadline `wait_for` fails loudly: a caller that ignores its result must not hide a
timeout (one hid a 2-minute wait). `quiet=True` returns the last value instead, for a caller
that genuinely wants the value at the deadline and asserts on it itself."""

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
    quiet: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `look` until `until(value)` holds and return that value as soon as it does. After
    `timeout` seconds raise AssertionError naming what was awaited and the last value seen (or,
    with `quiet=True`, return that last value). `clock` and `sleep` are for wait_for's own test."""
    deadline = clock() + timeout
    while True:
        value = look()
        if until(value):
            return value
        if clock() >= deadline:
            if quiet:
                return value
            raise AssertionError(
                f"waited {timeout}s for {_name(until)} on {_name(look)}; last value: {value!r}"
            )
        sleep(every)


def _name(function: Callable[..., object]) -> str:
    return getattr(function, "__qualname__", None) or repr(function)
