"""The due index by hour: a tick reads the minutes it owes an hour a Query (a day of catching
up: 25 Queries, not 1,440), entries at an hour's edges and later in the current minute
included; a deployment upgraded from the index by minute reads its old entries where they are
until none can be left (`ecrm.due_legacy`), Scanning the index once, after old code is gone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ecrm import due, due_legacy
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy

NOW = datetime(2026, 12, 8, 10, 30, 20, tzinfo=UTC).timestamp()


@pytest.fixture
def handled(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The campaign ids whose due entries the tick handed over (each entry leaves the index,
    as a campaign's start takes it out)."""
    found: list[str] = []

    def start(key: dict[str, str]) -> None:
        found.append(key["pk"][9:])
        store.write(store.Update(key, "REMOVE gsi1pk, gsi1sk"))

    monkeypatch.setattr(due, "_campaign", start)
    monkeypatch.setattr(due.steps_queue, "configured", lambda: False)
    return found


@pytest.fixture
def calls(aws_env: dict[str, str]) -> Iterator[Counter[str]]:
    """The product's DynamoDB Queries of the due index and its Scans."""
    counted: Counter[str] = Counter()

    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name != "Query" or "DUE#" in str(params["body"]):  # the request as sent
            counted[model.name] += 1

    events = aws.dynamodb().meta.events
    events.register("before-call.dynamodb", count)
    yield counted
    events.unregister("before-call.dynamodb", count)


def _due(campaign_id: str, at: float, *, by_minute: bool = False) -> None:
    key = keys.campaign_due(campaign_id)
    entry = keys.due(clock.iso(at), key)
    if by_minute:  # as the code before the index by hour wrote it
        entry["gsi1pk"] = keys.due_minute(clock.iso(at))
    store.write(store.Put({**key, **entry, "type": "campaign_due"}))


def _watermark(at: float, **fields: str) -> None:
    minute = clock.iso(at // 60 * 60)
    store.write(
        store.Put({**keys.schedule_watermark(), "type": "watermark", "minute": minute, **fields})
    )


def _at(hour: int, minute: int, second: float = 0, day: int = 8) -> float:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC).timestamp() + second


def test_a_tick_reads_the_minutes_it_owes_an_hour_a_query(
    handled: list[str], calls: Counter[str]
) -> None:
    _watermark(_at(5, 10), due_layout="hour")
    for name, at in {
        "edge-before": _at(5, 59, 59.999),
        "edge-after": _at(6, 0),
        "morning": _at(9, 17),
        "this-minute": _at(10, 30, 10),
        "later-this-minute": _at(10, 30, 50),
        "later": _at(10, 45),
        "before-the-mark": _at(5, 9, 59),
    }.items():
        _due(name, at)

    result = due.tick(NOW)

    assert handled == ["edge-before", "edge-after", "morning", "this-minute"]
    assert result.minutes == 321 and result.next_due == _at(10, 30, 50)
    assert calls["Query"] == 6  # 05:10-05:59, 06, 07, 08, 09, 10:00-10:30
    due.tick(_at(10, 46))
    assert handled[4:] == ["later-this-minute", "later"]


def test_a_day_of_catching_up_is_25_queries(handled: list[str], calls: Counter[str]) -> None:
    _watermark(NOW - 24 * 3600, due_layout="hour")
    _due("yesterday", NOW - 20 * 3600)

    result = due.tick(NOW)

    assert handled == ["yesterday"] and result.minutes == 1440
    assert calls["Query"] == 25


def test_an_upgraded_deployment_reads_its_minute_entries_until_none_can_be_left(
    handled: list[str], calls: Counter[str]
) -> None:
    _watermark(_at(10, 0))  # written by the code before: no due_layout
    _due("old-soon", _at(10, 20), by_minute=True)
    _due("old-later", _at(13, 0, 5), by_minute=True)
    _due("new", _at(10, 10))

    due.tick(NOW)  # both layouts read, minute by minute for the old one

    assert sorted(handled) == ["new", "old-soon"]
    assert calls["Scan"] == 0  # old code may still be running: no Scan for 15 minutes
    mark = store.get(keys.schedule_watermark())
    assert mark and "due_layout" not in mark and mark["legacy_scan_after"] == clock.iso(NOW + 900)

    due.tick(_at(10, 46))
    assert calls["Scan"] == 1
    mark = store.get(keys.schedule_watermark())
    assert mark and mark["legacy_scanned"] and mark["legacy_latest"] == "2026-12-08T13:00"

    due.tick(_at(13, 0, 30))
    assert handled[-1] == "old-later"
    due.tick(_at(13, 3))  # the watermark (two minutes behind) passes 13:00
    mark = store.get(keys.schedule_watermark())
    assert mark and mark["due_layout"] == "hour" and "legacy_latest" not in mark

    calls.clear()
    due.tick(_at(15, 3))
    assert calls["Query"] == 3 and calls["Scan"] == 0  # 13:01-13:59, 14, 15:00-15:03


def test_a_throttled_scan_goes_on_from_its_last_page_at_the_next_tick(
    handled: list[str], calls: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(due_legacy, "SCAN_PAGE", 2)
    monkeypatch.setattr(due_legacy, "PAGES_PER_TICK", 2)
    _watermark(_at(10, 0), legacy_scan_after=clock.iso(_at(10, 0)))
    for n in range(7):
        _due(f"old-{n}", _at(11, 50 + n), by_minute=True)
    pages = {"n": 0}
    scan = store.scan_index

    def throttled_third(*args: Any) -> Any:
        pages["n"] += 1
        if pages["n"] == 3:
            raise Busy("throttled")
        return scan(*args)

    monkeypatch.setattr(store, "scan_index", throttled_third)

    due.tick(NOW)  # pages 1 and 2
    due.tick(NOW + 60)  # page 3 refused: the watermark moves on all the same
    mark = store.get(keys.schedule_watermark())
    assert mark and not mark.get("legacy_scanned") and mark["minute"] == clock.iso(_at(10, 29))
    for minute in range(3, 8):
        due.tick(NOW + 60 * minute)
    mark = store.get(keys.schedule_watermark())
    assert mark and mark["legacy_scanned"] and mark["legacy_latest"] == "2026-12-08T11:56"

    due.tick(_at(11, 57))
    assert sorted(handled) == [f"old-{n}" for n in range(7)]
