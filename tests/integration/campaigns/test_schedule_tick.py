"""The schedule tick: due entries are read per minute from the sparse due index (never a
Scan), scheduled campaigns start when due, and a fan-out a crash interrupted is finished."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecrm import due
from ecrm.campaigns import queue
from ecrm.platform import clock, keys, store
from tests import events
from tests.integration.campaigns.conftest import (
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    run_queue,
)


def tick(at: float) -> dict[str, Any]:
    from mailing.scheduler import lambda_handler

    return lambda_handler(events_scheduled(at), events.LambdaContext())  # type: ignore[no-any-return]


def events_scheduled(at: float) -> dict[str, object]:
    return {"detail-type": "Scheduled Event", "source": "aws.events", "time": clock.iso(at)}


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    moment = {"t": time.time()}
    monkeypatch.setattr(clock, "now", lambda: moment["t"])
    return moment


def test_a_scheduled_campaign_starts_at_the_first_tick_after_its_time(
    campaign_env: Sent, now: dict[str, float]
) -> None:
    add_contacts(12)
    campaign_id = create_campaign()
    at = datetime.fromtimestamp(now["t"], UTC) + timedelta(minutes=3)
    path = {"campaign_id": campaign_id}
    assert (
        admin("POST", "/admin/campaigns/{campaign_id}/schedule", path, {"at": at.isoformat()})[0]
        == 200
    )

    assert tick(now["t"])["handled"] == 0  # not yet
    assert campaign(campaign_id)["state"] == "scheduled"
    now["t"] += 4 * 60
    assert tick(now["t"])["handled"] == 1
    assert campaign(campaign_id)["state"] == "sending"
    run_queue()
    assert len(campaign_env.raw) == 12 and campaign(campaign_id)["state"] == "done"
    assert tick(now["t"] + 60)["handled"] == 0  # the entry left the index


def test_a_tick_answers_when_the_next_entry_it_read_falls_due(
    campaign_env: Sent, now: dict[str, float]
) -> None:
    """`next_due`: what `ecrm serve` waits for before it ticks again (`local.schedules`)."""
    now["t"] = (now["t"] // 60 + 1) * 60 + 5  # 5 s into a minute
    add_contacts(2)
    campaign_id = create_campaign()
    at = now["t"] + 30  # later in the same minute
    path = {"campaign_id": campaign_id}
    scheduled = admin(
        "POST", "/admin/campaigns/{campaign_id}/schedule", path, {"at": clock.iso(at)}
    )
    assert scheduled[0] == 200, scheduled

    first = tick(now["t"])
    assert (first["handled"], first["next_due"]) == (0, clock.iso(at))
    now["t"] = at
    assert tick(now["t"]) == {"minutes": 3, "handled": 1, "failed": 0, "next_due": None}


def test_a_fan_out_that_a_crash_interrupted_is_finished_by_the_tick(
    campaign_env: Sent, now: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_contacts(12)
    campaign_id = create_campaign()

    def queue_down(*_: object, **__: object) -> None:
        from ecrm.platform.errors import Busy

        raise Busy("queue unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(queue, "send", queue_down)
        status, body = admin(
            "POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id}
        )
    assert status == 202 and body["state"] == "sending"  # started; the fan-out is owed
    assert run_queue() == 0 and store.get(keys.campaign_due(campaign_id))

    assert tick(now["t"] + 1)["handled"] == 1
    run_queue()
    assert len(campaign_env.raw) == 12 and campaign(campaign_id)["state"] == "done"


def test_the_watermark_trails_now_and_a_first_tick_looks_back_an_hour(
    campaign_env: Sent, now: dict[str, float]
) -> None:
    result = due.tick(now["t"])
    assert result.minutes == 61 and result.failed == 0
    mark = store.get(keys.schedule_watermark())
    expected = datetime.fromtimestamp(now["t"], UTC).replace(second=0, microsecond=0)
    assert mark and mark["minute"] == clock.iso((expected - timedelta(minutes=2)).timestamp())
    assert due.tick(now["t"] + 30).minutes in (3, 4)  # from the watermark on, not an hour again


def test_an_entry_whose_handler_fails_is_tried_again_by_the_next_tick(
    campaign_env: Sent, now: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = keys.campaign_due("c0ffee0000000000")
    store.write(
        store.Put({**key, **keys.due(clock.iso(now["t"] - 600), key), "type": "campaign_due"})
    )
    calls: list[str] = []

    def failing(found: dict[str, str]) -> None:
        calls.append(found["pk"])
        raise RuntimeError("boom")

    monkeypatch.setattr(due, "_campaign", failing)
    assert due.tick(now["t"]).failed == 1
    assert due.tick(now["t"] + 60).failed == 1  # the watermark did not pass the failed minute
    assert calls == [key["pk"], key["pk"]]
