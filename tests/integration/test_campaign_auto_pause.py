"""A sending campaign whose complaint rate passes 0.1% or bounce rate 5% (on a large enough
sample) pauses itself, and says why."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.platform import keys, store
from ecrm.platform.settings import settings
from tests.integration.test_ses_events import campaign, campaign_tags, deliver

SAMPLE = 100


@pytest.fixture
def small_sample(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTO_PAUSE_MIN_SAMPLE", str(SAMPLE))
    settings.cache_clear()


def given_campaign(**counters: Any) -> None:
    item = {**keys.campaign("c1"), "type": "campaign", "state": "sending", **counters}
    store.write(store.Put(item))


def test_complaint_rate_over_the_limit_pauses_the_campaign_with_its_reason(
    small_sample: None,
) -> None:
    given_campaign(sent=SAMPLE, delivered=SAMPLE)

    deliver("complaint", tags=campaign_tags())  # 1 of 100 delivered: 1% > 0.1%

    found = campaign()
    assert found["state"] == "paused"
    assert found["paused_reason"] == "complaint_rate"
    assert "1.00% (1 of 100 delivered)" in found["paused_detail"]


def test_complaints_below_the_minimum_sample_do_not_pause(small_sample: None) -> None:
    given_campaign(sent=SAMPLE - 1, delivered=SAMPLE - 1)

    deliver("complaint", tags=campaign_tags())

    found = campaign()
    assert found["state"] == "sending" and found["complained"] == 1
    assert "paused_reason" not in found


def test_bounce_rate_over_five_percent_pauses(small_sample: None) -> None:
    given_campaign(sent=SAMPLE, delivered=94, bounced=5)

    deliver("bounce", tags=campaign_tags())  # 6 of 100 sent

    found = campaign()
    assert found["state"] == "paused" and found["paused_reason"] == "bounce_rate"


def test_bounce_rate_of_exactly_five_percent_does_not_pause(small_sample: None) -> None:
    given_campaign(sent=SAMPLE, delivered=95, bounced=4)

    deliver("bounce", tags=campaign_tags())  # 5 of 100: at the limit, not past it

    assert campaign()["state"] == "sending"


@pytest.mark.parametrize("state", ["paused", "cancelled", "done"])
def test_a_campaign_that_is_not_sending_is_left_alone(small_sample: None, state: str) -> None:
    given_campaign(sent=SAMPLE, delivered=SAMPLE)
    store.write(
        store.Update(
            keys.campaign("c1"), "SET #s = :s", names={"#s": "state"}, values={":s": state}
        )
    )

    deliver("complaint", tags=campaign_tags())

    found = campaign()
    assert found["state"] == state and "paused_reason" not in found


def test_the_default_minimum_sample_is_500(aws_env: dict[str, str]) -> None:
    given_campaign(sent=499, delivered=499)
    deliver("complaint", tags=campaign_tags())
    assert campaign()["state"] == "sending"
