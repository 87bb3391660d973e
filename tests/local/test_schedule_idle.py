"""A schedule whose function answers `next_due` (the schedule tick, `ecrm.due`) is not ticked
while nothing can have become due: no write but its own since its last tick began, the same
minute on the functions' clock, `next_due` not reached, no failure (`local.schedules`)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, cast

import pytest

from ecrm.platform import clock
from local import pump
from local.schedules import SchedulePump

START = 1_800_000_030.0  # 30 s into a minute


class Runtime:
    """The scheduled function: answers in turn (the last one again), and writes the table
    in its own thread as the tick writes its watermark."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.ticks = 0

    def invoke(self, function: Any, event: Any) -> dict[str, Any]:
        self.ticks += 1
        pump.wake(pump.DYNAMODB)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    moment = {"t": START}
    monkeypatch.setattr(clock, "now", lambda: moment["t"])
    return moment


def _pump(runtime: Runtime) -> SchedulePump:
    names = SimpleNamespace(refs={}, attributes={}, account_id="123456789012", region="us-east-1")
    return SchedulePump(
        resolver=cast(Any, SimpleNamespace(names=names)),
        runtime=cast(Any, runtime),
        function=cast(Any, SimpleNamespace(logical_id="SchedulerFunction", properties={})),
        source=cast(Any, SimpleNamespace(event_name="Tick", rate_seconds=60.0)),
        client=lambda _: None,
        every=0.1,
    )


def _someone_else_writes() -> None:
    writer = threading.Thread(target=pump.wake, args=(pump.DYNAMODB,))
    writer.start()
    writer.join()


def test_an_idle_tick_is_not_repeated_until_someone_else_writes(now: dict[str, float]) -> None:
    runtime = Runtime({"handled": 0, "failed": 0, "next_due": None})
    schedule = _pump(runtime)
    for _ in range(3):
        schedule.poll_once()
    assert runtime.ticks == 1  # its own write (the watermark) left nothing new to read
    _someone_else_writes()
    schedule.poll_once()
    schedule.poll_once()
    assert runtime.ticks == 2


def test_next_due_or_the_next_minute_brings_the_next_tick(now: dict[str, float]) -> None:
    soon = {"failed": 0, "next_due": clock.iso(START + 10)}
    runtime = Runtime(soon, {"failed": 0, "next_due": None})
    schedule = _pump(runtime)
    schedule.poll_once()
    now["t"] = START + 9
    schedule.poll_once()
    assert runtime.ticks == 1
    now["t"] = START + 10  # the entry it read is due
    schedule.poll_once()
    now["t"] = START + 29
    schedule.poll_once()
    assert runtime.ticks == 2
    now["t"] = START + 30  # a minute the last tick did not read
    schedule.poll_once()
    assert runtime.ticks == 3


def test_a_tick_that_handled_entries_is_followed_by_another(now: dict[str, float]) -> None:
    """What its handlers wrote (a campaign's next entry, a journey's next day) is read again."""
    runtime = Runtime(
        {"handled": 2, "failed": 0, "next_due": None}, {"handled": 0, "failed": 0, "next_due": None}
    )
    schedule = _pump(runtime)
    for _ in range(4):
        schedule.poll_once()
    assert runtime.ticks == 2


@pytest.mark.parametrize(
    "answer",
    [{"failed": 1, "next_due": None}, {"minutes": 1, "handled": 0}, None],
    ids=["a failed entry", "no next_due", "no answer"],
)
def test_a_tick_that_failed_or_says_nothing_of_next_due_is_repeated(
    now: dict[str, float], answer: Any
) -> None:
    runtime = Runtime(answer)
    schedule = _pump(runtime)
    for _ in range(3):
        schedule.poll_once()
    assert runtime.ticks == 3
