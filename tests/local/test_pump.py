"""The local pumps' pace: however many writes wake them, and however long records stay in
flight, a pump polls at most once per `poll_interval` unless its last poll delivered records.
A pump polling as fast as it could took the CPU (and the GIL) from the function it feeds: a
campaign's sender, on a loaded machine, then missed every send slot."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from local import pump as pumps
from local.pump import IDLE_BACKOFF, Pump

INTERVAL = 0.1
WINDOW = 1.0
# Polls a pump may make in WINDOW: one per INTERVAL, and a few for the edges. A spinning pump
# makes thousands (a poll here costs nothing); a slow machine only makes fewer.
MOST_POLLS = round(WINDOW / INTERVAL) + 5


SOURCE = pumps.queue("counted")


class CountingPump(Pump):
    def __init__(self, busy: bool, delivers: bool = False) -> None:
        super().__init__("counting", INTERVAL, idle_backoff=IDLE_BACKOFF, wakes_on=SOURCE)
        self.busy = busy
        self.delivers = delivers
        self.polls = 0

    def poll_once(self) -> bool:
        self.polls += 1
        if self.delivers:
            self.delivered += 1
        return self.busy


@pytest.fixture
def running() -> Iterator[list[CountingPump]]:
    pumps: list[CountingPump] = []
    yield pumps
    for pump in pumps:
        pump.stop()


def polls_in_a_window(pump: CountingPump) -> int:
    pump.start()
    time.sleep(WINDOW)
    return pump.polls


def test_records_in_flight_are_waited_for_at_the_poll_interval(
    running: list[CountingPump],
) -> None:
    """A queue whose messages are all in flight (invisible until their timeout) is not idle,
    but polling it again at once finds nothing new: it spun for the whole visibility timeout."""
    pump = CountingPump(busy=True)
    running.append(pump)
    assert polls_in_a_window(pump) <= MOST_POLLS


def _polls_while_written(pump: CountingPump, source: str) -> int:
    stop = threading.Event()

    def write_all_the_time() -> None:
        while not stop.is_set():
            pumps.wake(source)
            time.sleep(0.001)

    writer = threading.Thread(target=write_all_the_time)
    writer.start()
    try:
        return polls_in_a_window(pump)
    finally:
        stop.set()
        writer.join()


def test_writes_wake_an_idle_pump_no_more_often_than_its_poll_interval(
    running: list[CountingPump],
) -> None:
    """Every message to its queue wakes a queue's pump (every DynamoDB write the stream pumps):
    a campaign's burst of writes made each of them poll after each write."""
    pump = CountingPump(busy=False)
    running.append(pump)
    polls = _polls_while_written(pump, SOURCE)
    assert 2 <= polls <= MOST_POLLS  # woken: it polls at the interval, not the back-off
    assert polls > 5  # the back-off alone polls 4 times in the window (0.1, 0.2, 0.4 s...)


def test_writes_elsewhere_leave_an_idle_pump_to_its_back_off(
    running: list[CountingPump],
) -> None:
    """Woken by every write anywhere, the queue pumps' empty polls were a fifth of a busy test
    process's CPU: writes to the table or to another queue do not wake a queue's pump."""
    pump = CountingPump(busy=False)
    running.append(pump)
    polls = _polls_while_written(pump, pumps.DYNAMODB)
    assert 1 <= polls <= 5  # 0.1, 0.2, 0.4 s after the first: the back-off's pace


def test_a_pump_that_delivers_polls_again_at_once(running: list[CountingPump]) -> None:
    """Records delivered: there may be more behind them, and nothing to wait for."""
    pump = CountingPump(busy=True, delivers=True)
    running.append(pump)
    assert polls_in_a_window(pump) > 10 * MOST_POLLS
