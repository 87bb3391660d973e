"""A segment entry's daily pass for later joiners (`{"segment": id, "joiners": true}`): what
the stream cannot see (`joiners`): a contact whom time alone puts in the segment (an activity
window passing, `active: false`; a score decaying under a `max`), the segment's conditions
edited, a change whose record was lost or came while a process did not know the version yet.

    publish (joiners) ──▶ Put JOURNEYS / JDAILY#<journey> (version, since = now, due in a day)
    tick, when due ──▶ `run_due`: still the live version, joiners on?
        no  ──▶ the item's due entry removed (no more passes)
        yes ──▶ `enrollment.start(since=...)`: the 8 shards' page chains, as at publish, each
                page entering only members owed an entry (`enrollment._owed`); then the item
                moves on (since = this pass, due a day later), conditional on the `due_at` read

Exactly once in effect: a tick that dies after queueing the pages and before moving the item on
queues them again at its next read of the minute (two chains: each member entered once, by
the entry's conditional Put); a publish meanwhile (a new pass item) makes the move fail, and
the new one stands. The cost is the publish's per topic member and day: one contact item (and
score item, for a stage or score condition) and one run item read, eventually consistent;
writes only for members entered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from aws_lambda_powertools import Logger

from ecrm.journeys import enrollment
from ecrm.platform import clock, keys, store

logger = Logger(service="mailing", child=True)

PASS_SECONDS = 86400


def put(journey_id: str, version: int, now: float) -> store.Put:
    """The pass of a version just published (in the publish's transaction): the first in a
    day, looking back to now (the publish's own enrollment covers the members until then)."""
    key = keys.journey_daily(journey_id)
    return store.Put({**key, **_due(key, now + PASS_SECONDS), "version": version, "since": now})


def _due(key: Mapping[str, str], at: float) -> dict[str, object]:
    due_at = clock.iso(at)
    return {**keys.due(due_at, dict(key)), "type": "journey_daily", "due_at": due_at}


def run_due(key: Mapping[str, str], now: float | None = None) -> bool:
    """The tick's handler: queue a pass if the version is still live with joiners, and move
    the item on; else end its passes. Raises Busy (the tick keeps the minute) when the queue
    or the table refuses. Returns whether a pass was queued."""
    now = clock.now() if now is None else now
    item = store.get(key)
    if item is None or not item.get("due_at") or str(item["due_at"]) > clock.iso(now):
        return False  # ended, or moved on by a newer publish
    journey_id = key["sk"].removeprefix(keys.JOURNEY_DAILY)
    version = int(item["version"])
    journey = store.get(keys.journey(journey_id)) or {}
    live = journey.get("live") or {}
    seen = {":seen": item["due_at"]}
    if journey.get("live_version") != version or not (live.get("entry") or {}).get("joiners"):
        # Stopped, or replaced by a version without joiners (a new one has its own item).
        with contextlib.suppress(store.ConditionFailed):
            remove = "REMOVE gsi1pk, gsi1sk, due_at"
            store.write(store.Update(key, remove, condition="due_at = :seen", values=seen))
        return False
    enrollment.start(journey_id, version, since=float(item["since"]))
    moved = _due(key, now + PASS_SECONDS)
    with contextlib.suppress(store.ConditionFailed):  # published again: its own item stands
        store.write(
            store.Update(
                key,
                "SET gsi1pk = :pk, gsi1sk = :sk, due_at = :due, since = :since",
                condition="due_at = :seen",
                values={
                    ":pk": moved["gsi1pk"],
                    ":sk": moved["gsi1sk"],
                    ":due": moved["due_at"],
                    ":since": now,
                    **seen,
                },
            )
        )
    logger.info("joiners pass queued", extra={"journey_id": journey_id, "version": version})
    return True
