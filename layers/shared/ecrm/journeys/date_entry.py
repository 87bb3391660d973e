"""Entry on a date field (`{"date_field", "days", "every_year", "time"}`, the calendar in
`dates`): each day, the contacts whose date is `days` from it enter, found in the contacts'
date index (`ecrm.contacts.date_index`), never by a Scan:

    publish ──▶ the journey's day item (`keys.journey_dates`: version, day, its due entry), in
                the publish's transaction (`scheduled`): today's run, due at its time
    tick (`ecrm.due`) ──▶ `run_day`: the first page's message of each index partition of the
                day to the journey queue, then the item moves on to the next day
    consumer ──▶ `page`: one page of the index (its contacts read, kept while their field still
                holds that day), each contact entered (`entry.enter`), the next page's message

Each day's run happens once in effect. The day item moves on only after its pages were queued,
and only from the version and day it read (conditional), so a tick that dies before it, or
two ticks at once, queue a day's pages twice and never lose one; every entry is the run's
conditional Put with the day as its reference (`once_per_ref`), so a page delivered or queued
twice, even a day later, enters nobody twice. A version that is no longer live (stopped, or
replaced) enrolls no more pages, and its day item goes at its next due time; a new version's
publish writes the item anew (its first day is today: today's contacts an earlier version
entered are kept out by the re-entry rule). The entered runs walk their steps as any other.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ecrm.automations.triggers import Happened
from ecrm.contacts import date_index
from ecrm.journeys import dates, entry, graph, steps_queue
from ecrm.mail import send_policy_view, zones
from ecrm.platform import clock, keys, store

KIND = "date_entry"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH_DAY = re.compile(r"[0-9]{2}-[0-9]{2}")


def _zone() -> ZoneInfo:
    return zones.zone(send_policy_view.current().zone) or ZoneInfo("UTC")


def scheduled(journey_id: str, version: int, rule: dates.DateRule, now: float) -> store.Put:
    """The day item of a version being published (a write of the publish's transaction)."""
    day, at = dates.first_day(now, rule.time, _zone())
    key = keys.journey_dates(journey_id)
    at_iso = clock.iso(at)
    return store.Put(
        {
            **key,
            **keys.due(at_iso, key),
            "type": "journey_dates",
            "journey_id": journey_id,
            "version": version,
            "day": day.isoformat(),
            "due_at": at_iso,
        }
    )


def run_day(key: Mapping[str, str], *, now: float | None = None) -> int:
    """The tick's part: queue a due day's first pages and move the item to the next day (raises
    `Busy` when the queue refuses: the due entry stays, the next tick does it again). Returns
    how many pages were queued."""
    now = clock.now() if now is None else now
    item = store.get(key)
    if item is None or str(item["due_at"]) > clock.iso(now):
        return 0  # gone, or moved on since the index entry was read
    journey_id, number = str(item["journey_id"]), int(item["version"])
    day = date.fromisoformat(str(item["day"]))
    journey = store.get(keys.journey(journey_id))
    v = graph.version(journey_id, number)
    if v is None or v.date is None or not journey or journey.get("live_version") != number:
        _drop(key, number, day)  # stopped, or replaced by a version that is no date entry
        return 0
    first = [
        ({"kind": KIND, "journey_id": journey_id, "version": number, "day": str(day), "on": md}, 0)
        for md in v.date.partitions(day)
    ]
    steps_queue.send(first)
    following, at = dates.next_day(day, v.date.time, _zone(), now)
    at_iso = clock.iso(at)
    due = keys.due(at_iso, dict(key))
    # Another tick moved it on, or a publish wrote it anew: either way it goes on.
    with contextlib.suppress(store.ConditionFailed):
        store.write(
            store.Update(
                dict(key),
                "SET #day = :next, due_at = :at, gsi1pk = :gpk, gsi1sk = :gsk",
                condition="version = :n AND #day = :day",
                names={"#day": "day"},
                values={
                    ":next": following.isoformat(),
                    ":at": at_iso,
                    ":gpk": due["gsi1pk"],
                    ":gsk": due["gsi1sk"],
                    ":n": number,
                    ":day": day.isoformat(),
                },
            )
        )
    return len(first)


def _drop(key: Mapping[str, str], number: int, day: date) -> None:
    """The day item of a version no longer live goes (unless a publish wrote it anew)."""
    with contextlib.suppress(store.TransactionCancelled):
        store.transact(
            [
                store.Delete(
                    dict(key),
                    condition="version = :n AND #day = :day",
                    names={"#day": "day"},
                    values={":n": number, ":day": day.isoformat()},
                )
            ]
        )


def _message(raw: Mapping[str, Any]) -> tuple[str, int, date, str, dict[str, Any] | None]:
    journey_id, number, day, on = (raw.get(k) for k in ("journey_id", "version", "day", "on"))
    cursor = raw.get("start")
    if not (
        isinstance(journey_id, str)
        and isinstance(number, int)
        and isinstance(day, str)
        and _DAY.fullmatch(day)
        and isinstance(on, str)
        and _MONTH_DAY.fullmatch(on)
        and steps_queue.is_cursor(cursor)
    ):
        raise ValueError("not a date entry's page")
    try:
        return journey_id, number, date.fromisoformat(day), on, cursor
    except ValueError:
        raise ValueError("not a date entry's page") from None


def page(raw: Mapping[str, Any], *, now: float | None = None) -> int:
    """Enter one page of a day's contacts; queue the next. Returns how many entered."""
    journey_id, number, day, on, cursor = _message(raw)
    now = clock.now() if now is None else now
    v = graph.version(journey_id, number)
    journey = store.get(keys.journey(journey_id))
    if v is None or v.date is None or not journey or journey.get("live_version") != number:
        return 0  # gone, stopped or replaced: its entries end
    rule = v.date
    if on not in rule.partitions(day):
        raise ValueError("not a page of this day")
    year, up_to = rule.years(day)
    found, next_start = date_index.on_day(rule.field, on, year=year, up_to_year=up_to, start=cursor)
    ref = f"date:{rule.field}:{day.isoformat()}"
    entered = sum(
        entry.enter(v, Happened("date", c, ref), now, once_per_ref=True)  # type: ignore[arg-type]
        for c in found
    )
    if next_start:
        steps_queue.send([({**raw, "start": dict(next_start)}, 0)])
    return entered
