"""Senders racing in threads of one interpreter, against moto in process, under `local.faults`
(`bench.experiments`): two campaign pollers (the sender's handler, one message per invocation,
as `bench.campaign_workers.Workers`) and a journey (due automation runs sent as the tick sends
them). A kill is global there (from the kill point on, every AWS call fails until revived), so
it may land in any thread, at any call, even outside a handler: each thread survives it as a
crash of its invocation, and the first thread to meet it revives the faults (`Crashes`).
SES's Send events are delivered at each crash, for every mail SES accepted until then, as they
arrive within seconds and a crashed claim is taken over only after 15 minutes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from bench.campaign_workers import Poller
from ecrm.automations import runs as automation_runs
from ecrm.platform import aws
from ecrm.platform.errors import Busy
from local.faults import Faults, Killed
from local.lambda_runtime import LambdaContext
from local.queues import lambda_record

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class Crashes:
    """Called by each thread whose invocation met a kill: SES's Send events for every mail it
    accepted so far arrive (`confirm`: a crashed worker's in-flight sends are settled by
    then), and the first thread to meet a kill revives the faults and runs `later` (what a
    later redelivery finds: claims gone stale)."""

    def __init__(
        self, injected: Faults, confirm: Callable[[], None], later: Callable[[], None]
    ) -> None:
        self.injected, self.confirm, self.later = injected, confirm, later
        self.lock = threading.Lock()
        self.kills = 0
        self._idle = threading.Condition()
        self._running = 0  # invocations under way
        self._jumping = False

    def __call__(self) -> None:
        with self.lock:
            while True:
                dead = any(kill.dead for kill in self.injected.kills)
                if dead:
                    self.kills += 1
                    self.injected.revive()
                try:
                    if dead:
                        self._between_invocations(lambda: (self.confirm(), self.later()))
                    else:
                        self.confirm()
                except Killed:  # another thread's kill meanwhile: again
                    continue
                return

    @contextlib.contextmanager
    def invocation(self) -> Iterator[None]:
        """One invocation of a function (a handler, a journey run): none starts while the
        clock jumps, and the jump waits for those under way."""
        with self._idle:
            while self._jumping:
                self._idle.wait()
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _between_invocations(self, work: Callable[[], object]) -> None:
        """Run `work` (settle the crashed worker's sends, move the clock past the stale-claim
        time) while no invocation is under way: a live worker between its claim and its SES
        call would otherwise find its claim gone stale and its recipient claimed again by the
        redelivery, a duplicate the product rules out (a claim goes stale only after the
        function's timeout: no invocation lives that long)."""
        with self._idle:
            self._jumping = True
            while self._running:
                self._idle.wait()
        try:
            work()
        finally:
            with self._idle:
                self._jumping = False
                self._idle.notify_all()

    def survive(self, call: Callable[[], _T]) -> _T:
        """A call outside a handler (the event source's own): tried again after a crash."""
        while True:
            try:
                return call()
            except Killed:
                self()


def poll(
    poller: Poller, handler: Callable[..., Any], stop: threading.Event, crashes: Crashes
) -> None:
    """Deliver campaign messages one at a time; a crashed or failed one comes back at once."""
    sqs = aws.sqs()
    while not stop.is_set():
        got = crashes.survive(
            lambda: sqs.receive_message(
                QueueUrl=poller.url, MaxNumberOfMessages=1, AttributeNames=["All"]
            ).get("Messages", [])
        )
        if not got:
            time.sleep(0.02)
            continue
        record = lambda_record(got[0], poller.arn, "us-east-1")
        handle = record["receiptHandle"]
        c = poller.context
        context = LambdaContext(
            c.function_name, c.invoked_function_arn, c.memory_limit_in_mb, c.timeout_seconds
        )
        try:
            with crashes.invocation():
                failed = bool(handler({"Records": [record]}, context).get("batchItemFailures"))
        except Killed:
            crashes()
            failed = True
        settle = (
            functools.partial(sqs.change_message_visibility, VisibilityTimeout=0)
            if failed
            else sqs.delete_message
        )
        crashes.survive(functools.partial(settle, QueueUrl=poller.url, ReceiptHandle=handle))


class Journey:
    """Each due run sent as the tick would, in a thread: a run that must wait (Busy), whose
    invocation crashed or failed, goes to the back of the line."""

    def __init__(self, run_keys: list[dict[str, str]], crashes: Crashes) -> None:
        self.pending = deque(run_keys)
        self.states: Counter[str] = Counter()
        self.errors = 0
        self.crashes = crashes

    def work(self, stop: threading.Event) -> None:
        while self.pending and not stop.is_set():
            key = self.pending.popleft()
            try:
                with self.crashes.invocation():
                    self.states[automation_runs.run(key)] += 1
            except Busy:
                self.pending.append(key)
                time.sleep(0.001)
            except Killed:
                self.pending.append(key)
                self.crashes()
            except Exception:  # a failed invocation: the tick tries the minute again
                log.exception("journey run failed")
                self.errors += 1
                self.pending.append(key)
                if self.errors > 50:
                    return

    def finished(self) -> bool:
        return not self.pending
