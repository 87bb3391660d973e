"""Several SES calls in flight: never more than the limit, results in the order started."""

from __future__ import annotations

import threading
import time

import pytest

from ecrm.mail.in_flight import InFlight, limit_for


def test_the_limit_covers_fifty_milliseconds_of_latency_at_the_rate() -> None:
    assert limit_for(14) == 2  # at least two: one call can take longer than a slot
    assert limit_for(194) == 11
    assert limit_for(10_000) == 16


def test_never_more_calls_at_once_than_the_limit_and_results_in_start_order() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def call(number: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02 if number % 2 == 0 else 0.005)  # finish out of order
        with lock:
            running -= 1
        return number

    with InFlight[int](3) as sends:
        for number in range(10):
            sends.wait_for_room()
            sends.start(lambda n=number: call(n))  # type: ignore[misc]
    returned, error = sends.settled()
    assert most == 3
    assert returned == list(range(10)) and error is None


def test_a_call_that_raised_is_reported_after_the_others_settle() -> None:
    class Boom(BaseException):
        pass

    def fail() -> int:
        raise Boom

    with InFlight[int](2) as sends:
        for call in (lambda: 1, fail, lambda: 3):
            sends.wait_for_room()
            sends.start(call)
    returned, error = sends.settled()
    assert returned == [1, 3] and isinstance(error, Boom)
    with pytest.raises(Boom):
        sends.finished()


def test_unused_room_is_given_back() -> None:
    with InFlight[int](1) as sends:
        sends.wait_for_room()
        sends.give_back_room()
        sends.wait_for_room()  # would block for good if the room were lost
        sends.start(lambda: 7)
    assert sends.settled() == ([7], None)
