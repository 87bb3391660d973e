"""A polling thread that delivers records to a function, as a Lambda event source mapping
does, with a way for tests to wait until everything written so far has been processed."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Record = dict[str, Any]  # one record of a Lambda event, as the function receives it
Deliver = Callable[[dict[str, Any]], Any]  # invokes the function with {"Records": [...]}

# The longest an idle stream or queue pump sleeps: what nothing wakes (a message whose
# visibility timeout or delay ends) waits at most this long, as Lambda's pollers also lag.
IDLE_BACKOFF = 1.0

# What wakes an idle pump: a DynamoDB item write wakes the stream pumps (every write appends a
# stream record), a message added to a queue wakes that queue's pump.
DYNAMODB = "dynamodb"

# Idle pumps by what wakes them (`wake`); each sleeps longer while nothing does.
_WAKEABLE: defaultdict[str, weakref.WeakSet[Pump]] = defaultdict(weakref.WeakSet)
# Writes each source took, as `wake` heard of them (`writes`), and each thread's (`own_writes`).
_WRITES: Counter[str] = Counter()
_OWN = threading.local()


def queue(name: str) -> str:
    """What a message added to the queue `name` wakes."""
    return f"sqs:{name}"


def wake(source: str) -> None:
    """`source` (`DYNAMODB`, `queue(name)`) took a write: its idle pumps poll now.
    `local.moto_threads` calls it after every write moto takes. Only the pumps of that source:
    woken by every write anywhere, the queue pumps' empty polls (a receive and a read of the
    queue's attributes each) were a fifth of a busy test process's CPU."""
    _WRITES[source] += 1  # first: a pump it wakes sees this write counted
    own = _OWN.__dict__
    own[source] = own.get(source, 0) + 1
    for pump in list(_WAKEABLE[source]):
        pump._wake.set()


def writes(source: str) -> int:
    """How many writes `source` took, as far as `wake` heard: the same number before and after a
    read means none came after the read began (a count lost to two threads at once is still a
    change)."""
    return _WRITES[source]


def own_writes(source: str) -> int:
    """How many of them this thread made (the stack's own calls are answered in the caller's
    thread, `local.moto_direct`): a pump tells its function's writes from everyone else's."""
    return int(_OWN.__dict__.get(source, 0))


class Pump(ABC):
    """Polls every `poll_interval` seconds, and again at once after a poll that delivered
    records. With `idle_backoff` (a stream or a queue), an idle pump waits twice as long after
    each empty poll, up to `idle_backoff` seconds, and a write to what it reads (`wake`,
    `wakes_on`) or a `drain` wakes it, though never to poll sooner than `poll_interval` after
    its last poll (nor while its records are in flight: a poll at once would find nothing
    new). An idle stack's pumps then cost next to nothing (polling nine sources every 0.15 s
    took a quarter of a core), and a busy one's do not take the CPU from the functions they
    feed (a burst of writes woke every pump after each write, and a queue with a message in
    flight was polled in a loop: a campaign's sender, starved, missed its send slots)."""

    def __init__(
        self,
        name: str,
        poll_interval: float = 0.15,
        idle_backoff: float | None = None,
        wakes_on: str | None = None,
    ) -> None:
        self.name = name
        self.poll_interval = poll_interval
        self.idle_backoff = idle_backoff
        self.wakes_on = wakes_on if idle_backoff is not None else None
        # Between two polls that delivered nothing, of a stream or a queue: a schedule's pump
        # ticks at its rate, and at once when drained.
        self._least_gap = poll_interval if idle_backoff is not None else 0.0
        self.delivered = 0  # records handed to the function and settled (done or given up)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._state = threading.Condition()
        self._cycle = 0  # polls started
        self._idle_cycle = -1  # latest poll that found nothing to do
        self._thread: threading.Thread | None = None

    @abstractmethod
    def poll_once(self) -> bool:
        """Fetch and deliver what is there; True when there was (or still is) work."""

    def start(self) -> None:
        if self.wakes_on is not None:
            _WAKEABLE[self.wakes_on].add(self)
        self._thread = threading.Thread(target=self._run, name=f"pump-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self.wakes_on is not None:
            _WAKEABLE[self.wakes_on].discard(self)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def drain(self, timeout: float = 60.0) -> None:
        """Wait for a poll that *started* after this call and found nothing left: then every
        record written before the call has been delivered and settled."""
        self.settled_since(self.wake_for_drain(), timeout)

    def wake_for_drain(self) -> int:
        """Wake the pump to poll now; the cycle a later poll must pass (see `settled_since`)."""
        with self._state:
            self._wake.set()
            return self._cycle

    def settled_since(self, target: int, timeout: float) -> None:
        """Wait for a poll started after cycle `target` that found nothing left."""
        deadline = time.monotonic() + timeout
        with self._state:
            while self._idle_cycle <= target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"pump {self.name} still busy after {timeout}s")
                self._state.wait(remaining)

    def pause(self, seconds: float) -> None:
        """Sleep between retries, waking early on stop."""
        self._stop.wait(seconds)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        idle_wait = self.poll_interval
        while not self._stop.is_set():
            self._wake.clear()  # before the poll: a write during it is polled for at once
            with self._state:
                self._cycle += 1
                cycle = self._cycle
            started, delivered = time.monotonic(), self.delivered
            try:
                busy = self.poll_once()
            except Exception:
                # A moto hiccup or a bug here must not kill the pump for the session.
                log.exception("pump %s: poll failed", self.name)
                busy = True
                self.pause(1.0)
            if busy:
                idle_wait = self.poll_interval
                if self.delivered == delivered:  # waiting on records in flight
                    self._rest(0.0, started)
                continue
            with self._state:
                self._idle_cycle = cycle
                self._state.notify_all()
            woken = self._rest(idle_wait, started)
            if woken or self.idle_backoff is None:
                idle_wait = self.poll_interval
            else:
                idle_wait = min(idle_wait * 2, self.idle_backoff)

    def _rest(self, longest: float, since: float) -> bool:
        """Wait up to `longest` seconds or until woken, then until the least gap between two
        polls has passed `since` the last poll started; True when woken."""
        woken = self._wake.wait(longest) if longest > 0 else False
        self.pause(since + self._least_gap - time.monotonic())
        return woken
