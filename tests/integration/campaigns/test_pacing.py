"""The shared SES pace: the rate comes from the account (GetAccount) or MAX_SEND_RATE, and
reservations from the one bucket item follow each other slot after slot."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest

from ecrm.mail import in_flight, pacing
from ecrm.mail.pacing import LATE_TOLERANCE, Reservation
from ecrm.platform import aws
from tests.integration.campaigns.conftest import (
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    run_queue,
)


def test_the_rate_is_the_accounts_max_send_rate_less_the_share_for_transactional_mail(
    campaign_env: Sent,
) -> None:
    assert pacing.account_max_send_rate() == 1000.0  # GetAccount, answered in conftest
    assert pacing.campaign_rate() == pytest.approx(970.0)


def test_max_send_rate_caps_the_rate_without_asking_the_account(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecrm.platform.settings import settings

    monkeypatch.setenv("MAX_SEND_RATE", "14")
    settings.cache_clear()
    pacing.forget_cached()
    monkeypatch.setattr(pacing, "account_max_send_rate", lambda: pytest.fail("asked SES"))
    assert pacing.campaign_rate() == pytest.approx(14 * 0.97)


def test_reservations_follow_each_other_and_an_idle_bucket_starts_at_now(
    campaign_env: Sent,
) -> None:
    # A fixed clock: on a busy machine real time could pass the first reservation's slots
    # before the second is taken, and an idle bucket rightly starts at now instead.
    at = time.time()
    first = pacing.reserve(10, 200.0, now=lambda: at)
    assert first.start == pytest.approx(at, abs=1e-3)
    second = pacing.reserve(5, 200.0, now=lambda: at)
    third = pacing.reserve(1, 200.0, now=lambda: at)
    assert second.start == pytest.approx(first.slot(10), abs=1e-3)
    assert third.start == pytest.approx(second.slot(5), abs=1e-3)


def test_a_late_sender_skips_the_slots_it_missed_and_only_those() -> None:
    reservation = Reservation(start=100.0, interval=0.01, count=10)
    assert reservation.usable(0, 100.0) == 0
    assert reservation.usable(0, 100.0 + LATE_TOLERANCE) == 0  # within tolerance
    assert reservation.usable(0, 100.035 + LATE_TOLERANCE) == 4
    assert reservation.usable(6, 100.035 + LATE_TOLERANCE) == 6
    assert reservation.usable(0, 200.0) == 10  # none left: take a new reservation


def test_a_worker_that_always_wakes_late_still_takes_a_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every wake 100 ms after its slot, as on a loaded machine: the worker skipped each slot
    it was late for and reserved again, for ever (a campaign on the local stack never finished
    under load). Each miss in a row now doubles the lateness it accepts."""
    from ecrm.campaigns import chunks

    now = [1000.0]
    taken: list[Reservation] = []

    def reserve(count: int, rate: float) -> Reservation:
        assert len(taken) < 20, "still reserving: the worker never sends"
        taken.append(Reservation(now[0], 1 / rate, count))
        return taken[-1]

    def wake_late(at: float) -> None:
        now[0] = max(now[0], at) + 0.1

    clock = type("Clock", (), {"time": staticmethod(lambda: now[0])})
    monkeypatch.setattr(pacing, "reserve", reserve)
    monkeypatch.setattr(pacing, "wait_until", wake_late)
    monkeypatch.setattr(chunks, "time", clock)

    reservation, next_slot = chunks._take_slot(Reservation.empty(50.0), 0, remaining=1)

    assert next_slot == 1 and reservation is taken[-1]
    assert len(taken) <= 4  # a few misses (at 20, 40, 80 ms of tolerance), not a series
    assert pacing.tolerance(0) == LATE_TOLERANCE and pacing.tolerance(3) == 8 * LATE_TOLERANCE


def test_chunks_cover_about_a_third_of_a_second_in_equal_parts() -> None:
    assert pacing.chunk_size(50) == 15
    assert pacing.chunk_size(1) == 1 and pacing.chunk_size(200 * 0.97) == 50
    assert pacing.chunk_size(50, 50) == 13  # 13 + 13 + 12 + 12, not 15 + 15 + 15 + 5
    assert pacing.chunk_size(200 * 0.97, 44) == 44
    assert pacing.chunk_size(1, 50) == 1


def test_with_a_slow_ses_several_calls_are_in_flight_and_the_pace_still_holds(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SES answering in 60 ms, three slots apart at 50/s: one call at a time, a worker would
    skip most of its slots; with several in flight it keeps the rate, and never exceeds it."""
    from ecrm.platform.settings import settings

    monkeypatch.setenv("MAX_SEND_RATE", "50")
    settings.cache_clear()
    rate = pacing.campaign_rate()
    starts: list[float] = []
    running, most = 0, 0
    lock = threading.Lock()

    def slow(**_: Any) -> None:
        nonlocal running, most
        with lock:
            starts.append(time.monotonic())
            running += 1
            most = max(most, running)
        time.sleep(0.06)
        with lock:
            running -= 1

    aws.sesv2().meta.events.register("before-call.sesv2.SendEmail", slow, unique_id="slow-ses")
    add_contacts(60)
    campaign_id = create_campaign()
    admin("POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id})
    run_queue()

    assert campaign(campaign_id)["stats"]["sent"] == 60
    assert sorted(campaign_env.recipients()) == sorted(f"person{n}@example.org" for n in range(60))
    assert 1 < most <= in_flight.limit_for(rate)
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest <= rate * (1 + LATE_TOLERANCE) + 1
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(starts))
    assert gaps[len(gaps) // 2] < 1.5 / rate  # slot after slot; one at a time: >= 60 ms
