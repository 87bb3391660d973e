"""The fault sweep of a date entry's day: a birthday journey's first day (the tick's run of
the day item, then two pages of the index through the journey queue) is killed before and
after each of its AWS calls in turn (the tick's reads of the watermark, the day item, the
journey and its version, its send of the pages, the day item's move, the watermark; each
page's read of the journey, its Query, its BatchGetItem, each entry's transaction, the next
page's send), then driven on as Lambda, SQS and the next tick would (the minute read again,
the message delivered again); the next day then runs without faults. Every contact enters
once, on its day, the counters are exact, and the day item ends on the day after: no day is
lost, none is run twice in effect. (Redeliveries of whole batches: test_date_entry.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.contacts import date_index
from ecrm.platform import keys, store
from local.faults import Faults, Kill, Killed
from tests.integration.journeys.conftest import Sent, admin
from tests.integration.journeys.dates_world import (
    Clock,
    dated,
    day_item,
    drain,
    entered,
    publish,
    tick,
)

pytestmark = pytest.mark.slow  # ~17 AWS calls swept, before and after, two days each: ~15 s

FIRST, SECOND = "2026-05-10", "2026-05-11"


@pytest.fixture
def world(journey_env: Sent, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Three birthdays a week after the first day (two pages of two), one after the second."""
    monkeypatch.setattr(date_index, "PAGE", 2)
    people = dict.fromkeys(dated(3, 0, birthday="1990-05-17"), FIRST)
    people |= dict.fromkeys(dated(1, 10, birthday="1980-05-18"), SECOND)
    dated(1, 20, birthday="1990-05-19")  # the third day's: never run here
    return people


def the_days_calls(operation: str, params: dict[str, Any]) -> bool:
    """Every call but the tick's Query of each minute of the due index (the Query of the day's
    minute killed is the day item's read killed: nothing happened)."""
    minute = params.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", "")
    return not (operation == "Query" and minute.startswith("DUE#"))


def two_days(now: Clock, faults: Faults, kill: Kill | None) -> tuple[str, int]:
    """Publish a journey (a long wait: no mail), then run its first day with `kill`, carrying
    on after it as Lambda, SQS and the next tick would, then its second day. Returns the
    journey and how many kills happened."""
    now.set(2026, 5, 10, 6)
    steps = [{"id": "first", "type": "wait", "minutes": 60 * 24 * 30}]
    journey_id = publish(start="first", steps=steps)
    kills = 0
    for day, kills_on in (
        ((2026, 5, 10, 9, 0, 30), [kill] if kill else []),
        ((2026, 5, 11, 9, 1), []),
    ):
        now.set(*day)
        faults.kills[:] = kills_on
        for _ in range(5):
            try:
                tick()
                drain(times=1)
                break
            except Killed:
                kills += 1
                faults.revive()
                now.at += 61  # Lambda and the tick come back later
    faults.kills[:] = []
    return journey_id, kills


def assert_each_once(journey_id: str, people: dict[str, str], kill: Any = None) -> None:
    assert entered(journey_id) == people, kill
    _, found = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert found["versions"]["1"]["first"]["entered"] == len(people), (kill, found)
    item = day_item(journey_id)
    assert item and item["day"] == "2026-05-12", (kill, item)
    assert item["due_at"] == "2026-05-12T09:00:00.000Z", (kill, item)


def test_a_day_killed_before_and_after_each_aws_call_enters_each_contact_once(
    world: dict[str, str], journey_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = Clock(monkeypatch)
    faults = Faults()
    faults.install()
    try:
        counted = Kill(the_days_calls, "before", nth=10**6)
        journey_id, kills = two_days(now, faults, counted)
        assert kills == 0
        assert_each_once(journey_id, world)
        calls = counted.seen
        assert calls >= 15, calls  # the tick's 7, two pages' (4 + 2 entries) and a send
        for nth in range(1, calls + 1):
            for when in ("before", "after"):
                kill = Kill(the_days_calls, when, nth)
                journey_id, kills = two_days(now, faults, kill)
                assert kill.fired and kills == 1, (nth, when)
                assert_each_once(journey_id, world, (nth, when))
    finally:
        faults.uninstall()
    assert store.get(keys.schedule_watermark()) is not None
