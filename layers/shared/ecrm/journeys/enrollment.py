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

A daily pass for later joiners (`joiners_pass`, entry `joiners`) sends the same pages with
`since` (when the previous pass began): each member's run is read with the page (BatchGetItem
of the run keys, a few attributes), and only a member owed an entry is entered: one with no
run of the journey (joined by a change whose record this process missed, or by a segment's
edit), or one whom the same items did not make a member at `since` (joined by time alone) and
whose ended run the re-entry rule may let in again. Everyone else costs the read, no write.
Members who join through a change of theirs are entered by the stream (`joiners`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.journeys import entry, graph, steps_queue
from ecrm.journeys.runs import ENDED
from ecrm.platform import clock, keys, store
from ecrm.segments import audience
from ecrm.segments.conditions import SegmentView

KIND = "enroll"


def start(journey_id: str, version: int, *, since: float | None = None) -> None:
    """Queue the first page of every topic shard (raises Busy when the queue refuses); with
    `since`, a daily pass's (only members owed an entry are entered)."""
    first = {"kind": KIND, "journey_id": journey_id, "version": version}
    if since is not None:
        first["since"] = since
    steps_queue.send([({**first, "shard": shard}, 0) for shard in range(keys.TOPIC_SHARDS)])


def _message(raw: Mapping[str, Any]) -> tuple[str, int, int, dict[str, Any] | None]:
    journey_id, version, shard = raw.get("journey_id"), raw.get("version"), raw.get("shard")
    cursor, since = raw.get("start"), raw.get("since", 0)
    if not (
        isinstance(journey_id, str)
        and isinstance(version, int)
        and isinstance(shard, int)
        and 0 <= shard < keys.TOPIC_SHARDS
        and isinstance(since, int | float)
        and not isinstance(since, bool)
        and steps_queue.is_cursor(cursor)
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
    since = raw.get("since")
    found = audience.members_page(view, shard, cursor, now=now, check_contacts=True, since=since)
    members = found.members if since is None else _owed(v, found.members, now)
    entered = sum(entry.enter(v, entry.segment_event(m.contact_id, view.id), now) for m in members)
    if found.next_start:
        steps_queue.send([({**raw, "start": dict(found.next_start)}, 0)])
    return entered


def _owed(v: graph.Version, members: list[audience.Member], now: float) -> list[audience.Member]:
    """A daily pass's members owed an entry: no run of the journey, or joined since the last
    pass by time alone (`Member.before` false) with an ended run the re-entry rule may let in
    (the entry's condition decides that exactly)."""
    runs = store.batch_get(
        [keys.journey_run(m.contact_id, v.journey_id) for m in members],
        consistent=False,
        attributes=("state", "entered_at"),
    )
    cutoff = None if v.reentry_days is None else clock.iso(now - v.reentry_days * 86400)
    owed = []
    for m in members:
        run = runs.get(_key(keys.journey_run(m.contact_id, v.journey_id)))
        if run is None or (
            not m.before
            and cutoff is not None
            and run.get("state") == ENDED
            and str(run.get("entered_at", "")) <= cutoff
        ):
            owed.append(m)
    return owed


def _key(key: Mapping[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]
