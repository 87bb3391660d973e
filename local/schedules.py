"""Schedule ticks, locally: each `Type: Schedule` / `ScheduleV2` event of the template invokes
its function every N seconds with the event EventBridge Scheduler would deliver (an
asynchronous invocation: retried and parked as the function's EventInvokeConfig says).

N is the expression's own rate (`rate(1 minute)`: 60 s) unless `every` is given (`ecrm serve
--schedule-every 5`, or a fraction of a second in tests); `cron(...)` expressions tick every
`every` seconds, or every minute. `drain()` returns after a tick that started after the call,
so tests can write something due and drain.

A function that answers a tick with `next_due` (the schedule tick, `ecrm.due`: the earliest
moment an entry it read waits for, or null) is not ticked again while nothing can have become
due: no DynamoDB write since its last tick began (but the tick's own, when it handled nothing:
its watermark), the same minute on the functions' clock (the tick reads by minute), `next_due`
not reached, and the last tick answered without a failure.
Ticking every few tenths of a second to find nothing was about 4% of the suite's CPU.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

from ecrm.platform import clock
from local import pump
from local.intrinsics import Resolver
from local.lambda_runtime import LambdaRuntime
from local.pump import DYNAMODB, Pump
from local.ses_events import iso
from local.template import Function, ScheduleSource
from local.topics import invoke_async

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 60.0

Client = Callable[[str], Any]


def scheduled_event(
    resolver: Resolver, function: Function, source: ScheduleSource
) -> dict[str, Any]:
    names = resolver.names
    rule = f"{names.refs.get(function.logical_id, function.logical_id)}-{source.event_name}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": names.account_id,
        "time": iso(time.time()).split(".")[0] + "Z",
        "region": names.region,
        "resources": [f"arn:aws:events:{names.region}:{names.account_id}:rule/{rule}"],
        "detail": {},
    }


class SchedulePump(Pump):
    """One schedule: a tick per poll. Ticks are not counted in `delivered` (a timer never
    runs dry, and `EmbeddedStack.drain` waits for counts to settle)."""

    def __init__(
        self,
        *,
        resolver: Resolver,
        runtime: LambdaRuntime,
        function: Function,
        source: ScheduleSource,
        client: Client,
        every: float | None = None,
    ) -> None:
        seconds = every or source.rate_seconds or DEFAULT_SECONDS
        super().__init__(f"{function.logical_id}.{source.event_name}", seconds)
        self.resolver = resolver
        self.runtime = runtime
        self.function = function
        self.source = source
        self.client = client
        self.ticks = 0
        self._idle_until: _Idle | None = None  # set by a tick that left nothing to do

    def poll_once(self) -> bool:
        if self._idle_until is not None and self._idle_until.holds():
            return False
        self._idle_until = None
        writes, own, minute = pump.writes(DYNAMODB), pump.own_writes(DYNAMODB), clock.now() // 60
        answers: list[Any] = []
        event = scheduled_event(self.resolver, self.function, self.source)
        invoke_async(
            self.runtime, self.resolver, self.function, event, self.client, answered=answers.append
        )
        self.ticks += 1
        answer = answers[0] if answers else None
        if isinstance(answer, dict) and "next_due" in answer and not answer.get("failed"):
            if not answer.get("handled"):  # its own writes were the watermark: nothing to read
                writes += pump.own_writes(DYNAMODB) - own
            next_due = None if answer["next_due"] is None else clock.epoch(str(answer["next_due"]))
            self._idle_until = _Idle(writes, minute, next_due)
        return False


class _Idle(NamedTuple):
    """What a tick saw: while it all holds, another tick would find what that one found."""

    writes: int  # the table's writes, but for the tick's own
    minute: float  # the functions' clock's minute when it began
    next_due: float | None  # the earliest moment an entry it read waits for

    def holds(self) -> bool:
        now = clock.now()
        return (
            pump.writes(DYNAMODB) == self.writes
            and now // 60 == self.minute
            and (self.next_due is None or now < self.next_due)
        )


def schedule_pumps(
    resolver: Resolver, runtime: LambdaRuntime, client: Client, every: float | None = None
) -> list[Pump]:
    pumps: list[Pump] = []
    for function in resolver.template.functions():
        for source in function.schedule_sources:
            if not source.enabled:
                continue
            if source.rate_seconds is None and every is None:
                log.warning(
                    "%s: %s ticks every minute locally", function.logical_id, source.expression
                )
            pumps.append(
                SchedulePump(
                    resolver=resolver,
                    runtime=runtime,
                    function=function,
                    source=source,
                    client=client,
                    every=every,
                )
            )
    return pumps
