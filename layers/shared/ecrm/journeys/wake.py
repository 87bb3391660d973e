"""A `wait_for` step woken by its event, from the table's stream (the automations' consumer,
through `entry.handle`), never by polling: for an event some journey waits for
(`graph.listened`), one Query of the contact's runs (`CONTACT#<id>`, `JOURNEY#…`, strongly
consistent: a run that began listening a moment ago is seen) finds those listening for it,
and each takes its `next` way in one move (`runs.move`, conditional on the `seq` read and on
the phase `listening`, its counters in the same transaction).

Exactly once against the timeout: the tick's timeout (`engine`, the `on_timeout` way) makes
its move on the same condition, so whichever is first wins and the other finds the run moved
(it reads it again: no longer listening there, it does nothing). A stream record delivered
again does not wake a later wait of the same run: the run keeps the ids of the last records
that entered or woke it (`stream_records`), and a record already there wakes nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from ecrm.automations.triggers import Happened, matches
from ecrm.journeys import graph, runs, stats
from ecrm.platform import keys, store

logger = Logger(service="mailing", child=True)

WAKE_TRIES = 3
KEPT_RECORDS = 8  # stream records remembered per run (a batch's redelivery comes soon after)


def on_event(
    event: Happened, now: float, record_id: str | None = None, fresh_since: float | None = None
) -> list[str]:
    """The journeys whose run of this contact the event woke (`fresh_since`:
    `graph.listened`'s)."""
    if event.event not in graph.listened(fresh_since=fresh_since):
        return []
    partition = keys.contact(event.contact_id)["pk"]
    woken = []
    for run in store.query_all(partition, sk_prefix=keys.JOURNEY_RUN, consistent=True):
        if _listening_for(run, event) and _wake(run, event, now, record_id):
            woken.append(str(run["journey_id"]))
    return woken


def _listening_for(run: dict[str, Any], event: Happened) -> graph.Version | None:
    if run.get("state") != runs.ACTIVE or run.get("phase") != runs.LISTENING:
        return None
    v = graph.version(str(run["journey_id"]), int(run["version"]))
    step = v.steps.get(str(run["step"])) if v else None
    if step is None or step.get("type") != graph.WAIT_FOR:
        return None
    when = graph.when_of(step.get("event"))
    return v if when is not None and matches(when, event) else None


def _wake(run: dict[str, Any], event: Happened, now: float, record_id: str | None) -> bool:
    key = runs.key_of(run)
    for _ in range(WAKE_TRIES):
        v = _listening_for(run, event)
        seen = list(run.get("stream_records") or ())
        if v is None or (record_id and record_id in seen):
            return False
        step = str(run["step"])
        landing = graph.leave(v, run, step, now, stats.tally((step, "woken")))
        changes = runs.landed(key, landing, now)
        if record_id:
            changes["stream_records"] = [*seen, record_id][-KEPT_RECORDS:]
        try:
            runs.move(run, changes, landing.counted, phase=runs.LISTENING)
        except runs.Moved:
            found = store.get(key)
            if found is None:
                return False
            run = found
            continue
        logger.info("journey run woken", extra={"journey_id": run["journey_id"], "step": step})
        return True
    return False
