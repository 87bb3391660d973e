"""Entry by joining a segment: publishing a version whose `entry` is `{"segment": id}` enrolls
the segment's members, without a Scan, through the journey queue (`steps_queue`):

    publish ──▶ one message per topic shard {"kind": "enroll", journey, version, shard}
    consumer ──▶ one page of the shard (`segments.audience.members_page`: a Query of the topic
                 index, its contacts read with BatchGetItem, the conditions evaluated), each
                 member entered (`entry.enter`: the run's conditional Put with its counter),
                 then the next page's message (the Query's cursor) sent

Each page is one message, so the shards' pages are entered side by side by the queue's workers,
and entering is exactly once in effect: a page delivered or sent twice enters nobody twice (the
Put is conditional on the re-entry rule). A version that is no longer the live one (stopped, or
a newer one published) enrolls no more pages. The entered runs are due at once (a send) or
after their first wait: the tick hands them on as any other run.

Segments are evaluated when read, not stored: a contact who joins the segment later has no
record on the stream that says so, and is not entered (docs/design/journeys.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.automations.triggers import Happened
from ecrm.journeys import entry, graph, steps_queue
from ecrm.platform import clock, keys, store
from ecrm.segments import audience
from ecrm.segments.conditions import SegmentView

KIND = "enroll"


def start(journey_id: str, version: int) -> None:
    """Queue the first page of every topic shard (raises Busy when the queue refuses)."""
    steps_queue.send(
        [
            ({"kind": KIND, "journey_id": journey_id, "version": version, "shard": shard}, 0)
            for shard in range(keys.TOPIC_SHARDS)
        ]
    )


def _string_key(name: Any, value: Any) -> bool:
    """A key attribute of the Query's cursor, as DynamoDB gives it (`{"S": "..."}`)."""
    return (
        isinstance(name, str)
        and isinstance(value, dict)
        and list(value) == ["S"]
        and isinstance(value["S"], str)
    )


def _message(raw: Mapping[str, Any]) -> tuple[str, int, int, dict[str, Any] | None]:
    journey_id, version, shard = raw.get("journey_id"), raw.get("version"), raw.get("shard")
    cursor = raw.get("start")
    if not (
        isinstance(journey_id, str)
        and isinstance(version, int)
        and isinstance(shard, int)
        and 0 <= shard < keys.TOPIC_SHARDS
        and (
            cursor is None
            or (
                isinstance(cursor, dict)
                and len(cursor) <= 4
                and all(_string_key(k, v) for k, v in cursor.items())
            )
        )
    ):
        raise ValueError("not an enrollment page")
    return journey_id, version, shard, cursor


def page(raw: Mapping[str, Any], *, now: float | None = None) -> int:
    """Enter one page of the segment's members; queue the next. Returns how many entered."""
    journey_id, number, shard, cursor = _message(raw)
    now = clock.now() if now is None else now
    v = graph.version(journey_id, number)
    journey = store.get(keys.journey(journey_id))
    if v is None or v.segment is None or not journey or journey.get("live_version") != number:
        return 0  # gone, stopped or replaced: its enrollment ends
    segment = store.get(keys.segment(v.segment))
    if segment is None:
        return 0
    view = SegmentView.from_item(segment)
    found = audience.members_page(view, shard, cursor, now=now, check_contacts=True)
    ref = f"segment:{v.segment}"
    entered = sum(
        entry.enter(v, Happened("segment", m.contact_id, ref), now)  # type: ignore[arg-type]
        for m in found.members
    )
    if found.next_start:
        steps_queue.send([({**raw, "start": dict(found.next_start)}, 0)])
    return entered
