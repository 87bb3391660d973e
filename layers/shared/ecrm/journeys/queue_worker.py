"""The journey queue's consumer (SchedulerFunction's `JourneyQueue` source): a message names a
due run, moved on by `engine.advance`, a segment's page of members to enter
(`enrollment.page`), or a date entry's page of a day's contacts (`date_entry.page`). Apart
from `steps_queue`, which only sends, so that the tick and the enrollment can send without
importing the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.journeys import date_entry, engine, enrollment, steps_queue
from ecrm.platform.errors import Busy


def consume(message: Mapping[str, Any]) -> str:
    """Move the run on; a busy run comes back later (`steps_queue.BUSY_DELAY`, its record
    succeeds) until `steps_queue.MAX_BUSY` rounds. Returns where the run stands, or `busy`."""
    if message.get("kind") == enrollment.KIND:
        return f"entered {enrollment.page(message)}"
    if message.get("kind") == date_entry.KIND:
        return f"entered {date_entry.page(message)}"
    key = steps_queue.run_key(message)
    try:
        return engine.advance(key)
    except Busy:
        rounds = int(message.get("busy", 0)) + 1
        if rounds > steps_queue.MAX_BUSY:
            raise
        steps_queue.send([({**key, "busy": rounds}, steps_queue.BUSY_DELAY)])
        return "busy"
