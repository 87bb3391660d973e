"""tests/waiting.py::wait_for on a fake clock: it returns as soon as the state holds and fails
loudly at its deadline (a caller that ignores the result must not hide a timeout)."""

from __future__ import annotations

import pytest

from tests.waiting import wait_for


class FakeClock:
    """A clock that moves only when wait_for sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1


def test_it_returns_as_soon_as_the_state_holds() -> None:
    clock, seen = FakeClock(), list[int]()

    def look() -> int:
        seen.append(len(seen))
        return seen[-1]

    assert wait_for(look, lambda n: n == 3, clock=clock, sleep=clock.sleep) == 3
    assert seen == [0, 1, 2, 3] and clock.sleeps == 3  # no look, no sleep after it held


def test_it_raises_at_the_deadline_naming_the_wait_and_the_last_value() -> None:
    clock = FakeClock()

    def mails_to_ann() -> list[str]:
        return ["bob"]

    with pytest.raises(AssertionError, match=r"mails_to_ann.*last value: \['bob'\]"):
        wait_for(
            mails_to_ann, lambda m: "ann" in m, timeout=5, every=1, clock=clock, sleep=clock.sleep
        )
    assert clock.now == 5  # it looked until the deadline, then stopped


def test_quiet_returns_the_value_at_the_deadline() -> None:
    clock = FakeClock()
    found = wait_for(lambda: 0, timeout=2, every=1, quiet=True, clock=clock, sleep=clock.sleep)
    assert found == 0 and clock.now == 2
