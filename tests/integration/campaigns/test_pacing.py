"""The shared SES pace: the rate comes from the account (GetAccount) or MAX_SEND_RATE, and
reservations from the one bucket item follow each other slot after slot."""

from __future__ import annotations

import time

import pytest

from ecrm import pacing
from ecrm.pacing import LATE_TOLERANCE, Reservation
from tests.integration.campaigns.conftest import Sent


def test_the_rate_is_the_accounts_max_send_rate_less_the_share_for_transactional_mail(
    campaign_env: Sent,
) -> None:
    assert pacing.account_max_send_rate() == 1000.0  # GetAccount, answered in conftest
    assert pacing.campaign_rate() == pytest.approx(970.0)


def test_max_send_rate_caps_the_rate_without_asking_the_account(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecrm.settings import settings

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


def test_chunks_cover_about_a_quarter_of_a_second_in_equal_parts() -> None:
    assert pacing.chunk_size(200 * 0.97) == 48
    assert pacing.chunk_size(1) == 1 and pacing.chunk_size(10_000) == 50
    assert pacing.chunk_size(200 * 0.97, 50) == 25  # 25 + 25, not 48 + 2
    assert pacing.chunk_size(80, 50) == 17  # 17 + 17 + 16, not 20 + 20 + 10
    assert pacing.chunk_size(200 * 0.97, 30) == 30
    assert pacing.chunk_size(1, 50) == 1
