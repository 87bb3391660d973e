"""The local-time send path under the campaign fault sweep: the sender (or the schedule tick)
killed before or after each AWS call of a step (the plan's fan-out, a wave's hold, its release,
the claim, SES, the marks, the tally, a requeue) and its message redelivered, SES's Send events
arriving: each recipient gets exactly one mail, in their own wave, and the campaign completes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ecrm import due
from ecrm.campaigns import chunks
from ecrm.platform import clock, keys
from ecrm.platform.settings import settings
from local.faults import Faults, Kill, Killed
from tests.integration.campaigns.conftest import Sent, add_contacts, campaign, create_campaign
from tests.integration.campaigns.test_local_time import DAY, FIRST, NEW_YORK, PARIS, TOKYO, schedule
from tests.integration.campaigns.test_send_faults import KILL_POINTS, confirm_by_send_events, run


def _is_hold(operation: str, params: dict[str, Any]) -> bool:
    sort_key = params.get("Item", {}).get("sk", {}).get("S", "")
    return operation == "PutItem" and sort_key.startswith(keys.CAMPAIGN_WAITS)


def _is_release(operation: str, params: dict[str, Any]) -> bool:
    sort_key = params.get("Key", {}).get("sk", {}).get("S", "")
    return operation == "UpdateItem" and sort_key.startswith(keys.CAMPAIGN_WAITS)


POINTS = {
    **KILL_POINTS,
    "after a wave's hold, before the message is acknowledged": Kill(_is_hold, "after", nth=2),
    "before a wave's hold": Kill(_is_hold, "before", nth=3),
    "before a wave's release leaves the index": Kill(_is_release, "before", nth=2),
    "after a wave's release": Kill(_is_release, "after", nth=4),
}


@pytest.fixture
def moment(campaign_env: Sent, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, float]]:
    """The product's clock, moved by the test (and by a redelivery that comes much later)."""
    now = {"t": datetime(2026, 12, 7, 6, 0, tzinfo=UTC).timestamp()}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    monkeypatch.setattr(chunks, "THROTTLE_PAUSE", 0.01)
    yield now


def tick(faults_: Faults, on_kill: Callable[[], None]) -> None:
    """The schedule tick, run again after a kill (EventBridge's next minute)."""
    for _ in range(5):
        try:
            due.tick()
            return
        except Killed:
            faults_.revive()
            on_kill()
    raise AssertionError("the tick kept dying")


@pytest.mark.parametrize("point", sorted(POINTS))
def test_killed_at_any_step_of_a_local_time_send_each_recipient_gets_one_mail_in_its_wave(
    campaign_env: Sent, moment: dict[str, float], point: str
) -> None:
    zones = {
        TOKYO: add_contacts(4, start=0, country="JP"),
        PARIS: add_contacts(4, start=10, time_zone="Europe/Paris"),
        NEW_YORK: add_contacts(4, start=20, time_zone="America/New_York"),
    }
    campaign_id = create_campaign()
    assert schedule(campaign_id, {"local_time": "09:00", "on": DAY})[0] == 200
    kill = Kill(POINTS[point].match, POINTS[point].when, POINTS[point].nth)
    injected = Faults(kills=[kill])
    kills = {"n": 0}

    def after_kill() -> None:
        kills["n"] += 1
        confirm_by_send_events(campaign_env)
        moment["t"] += settings().stale_sending_seconds + 1  # the redelivery comes late

    injected.install()
    try:
        moment["t"] = FIRST + 30
        tick(injected, after_kill)
        kills["n"] += run(injected, after_kill)
        for wave in (TOKYO, PARIS, NEW_YORK, NEW_YORK + 3600):  # an hour later: stragglers
            moment["t"] = max(moment["t"], wave + 30)
            tick(injected, after_kill)
            kills["n"] += run(injected, after_kill)
            if wave in zones:
                mailed = {t["contact"] for t in campaign_env.tags}
                assert set(zones[wave]) <= mailed, point  # the wave went at its moment
                later = {c for at, ids in zones.items() if at > wave for c in ids}
                assert not mailed & later, point  # and no later wave with it
    finally:
        injected.uninstall()

    assert kill.fired and kills["n"] >= 1, point
    counts = Counter(t["contact"] for t in campaign_env.tags)
    assert set(counts) == {c for ids in zones.values() for c in ids}
    assert set(counts.values()) == {1}
    done = campaign(campaign_id)
    assert done["state"] == "done", done
    assert done["stats"]["sent"] == 12 == done["progress"]["processed"]
