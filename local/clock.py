"""The local stack's clock control (test and demo only, never deployed): waits of journeys,
automation delays and scheduled campaigns fall due without real time passing.

`SkewedClock` replaces `ecrm.platform.clock.now` (every product module reads the time through
it) with the wall clock plus an offset that only grows (`advance`), for as long as the stack
runs; the functions run in the stack's process, so they all see it. The schedule tick then
reads the minutes up to the new now (up to a day per tick, `ecrm.due.MAX_MINUTES`), so an
advance of an hour makes an hour's due entries due at the next tick. Time never goes back:
an item written "now" stays in the past of every later now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

from ecrm.platform import clock


class SkewedClock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._real: Callable[[], float] | None = None

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the stack's clock `seconds` forward; returns the total offset."""
        if seconds < 0:
            raise ValueError("the local clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset

    def __enter__(self) -> SkewedClock:
        self._real = clock.now
        clock.now = self.now
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._real is not None:
            clock.now = self._real
            self._real = None
