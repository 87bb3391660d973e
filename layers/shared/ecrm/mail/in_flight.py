"""Several SES calls of one worker in flight at once, each started at its own send slot.

A call to SES takes tens of milliseconds across the network, longer than the interval between
two slots once the rate passes a few dozen per second (5 ms at 200/s): one call at a time, a
worker would be late for most of its slots and skip them. The worker's loop still waits for
each slot and checks its lateness (`ecrm.mail.pacing`); it hands the call to a thread and goes on
to the next slot, with at most `limit` calls outstanding (no room: it waits, and a slot
missed meanwhile is skipped like any other).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

LATENCY_COVERED = 0.05  # seconds of SES latency the calls in flight cover at full rate
MOST_IN_FLIGHT = 16


def limit_for(rate: float) -> int:
    """Calls in flight for `rate` sends per second: enough to cover `LATENCY_COVERED`."""
    return max(2, min(MOST_IN_FLIGHT, math.ceil(rate * LATENCY_COVERED) + 1))


class InFlight(Generic[T]):
    """`wait_for_room()`, then `start(call)`; leaving the block waits for every call."""

    def __init__(self, limit: int) -> None:
        self._room = threading.BoundedSemaphore(limit)
        self._pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="ses-send")
        self._started: list[Future[T]] = []

    def __enter__(self) -> InFlight[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True)

    def wait_for_room(self) -> None:
        self._room.acquire()

    def give_back_room(self) -> None:
        """The room taken by `wait_for_room` will not be used."""
        self._room.release()

    def start(self, call: Callable[[], T]) -> None:
        future = self._pool.submit(call)
        future.add_done_callback(lambda _: self._room.release())
        self._started.append(future)

    def finished(self) -> list[T]:
        """The results of the calls finished so far (a call that raised raises here)."""
        return [future.result() for future in self._started if future.done()]

    def settled(self) -> tuple[list[T], BaseException | None]:
        """Once all have finished: the results of the calls that returned, in the order they
        started, and the first exception one raised."""
        returned, error = [], None
        for future in self._started:
            raised = future.exception()
            if raised is None:
                returned.append(future.result())
            elif error is None:
                error = raised
        return returned, error
