"""A due run moved on, called by the schedule tick (`ecrm.due`) for each due entry
`CONTACT#<id>` / `JOURNEY#<journey id>`, possibly more than once (the tick re-reads recent
minutes; two ticks may overlap). Each pass reads the run once and makes moves (`runs.move`,
conditional on `seq`) until the run waits, is delayed, or ends:

- `waiting` and due: the wait is passed, the next steps walked (`graph.leave`);
- `listening` and due: the event never came; the `wait_for` step's `on_timeout` way is taken
  (the stream's wake, `ecrm.journeys.wake`, makes the same move conditional on the same
  `seq`: whichever comes first wins, the other finds the run moved);
- `ready` or `sending` (a send step): `send_step.send` (claim, SES, settle and walk on);
- `ready` at an update step: `update_step.apply` (the contact changed in the run's move);
- `ready` at a notify step: `notify_step.apply` (its notice written in the run's move);
- `sent` (SES's Send event confirmed a send whose worker died): walked on without sending.

Runs keep their version: its definition is read (and cached for good) by number. A move that
finds the run moved reads it again: whatever moved it did the step, and it is never done twice.
Busy (a throttle, a fresh claim) leaves the due entry for the tick to try again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.journeys import graph, notify_step, runs, send_step, stats, update_step
from ecrm.platform import clock, store

logger = Logger(service="mailing", child=True)

MAX_MOVES = 2 * 40 + 4  # every step at most twice (a send: claim, settle) and some re-reads


def advance(key: Mapping[str, str], *, now: float | None = None) -> str:
    """Move a due run on; returns where it stands (`ended`, `waiting`, `gone`)."""
    now = clock.now() if now is None else now
    run = store.get(key)
    for _ in range(MAX_MOVES):
        if run is None:
            return "gone"
        if run.get("state") != runs.ACTIVE:
            return str(run.get("state"))
        if str(run["due_at"]) > clock.iso(now):
            return runs.WAITING
        try:
            run = _step(run, now)
        except runs.Moved:
            run = store.get(key)
    return str(run.get("state")) if run else "gone"


# The steps that act when due (phase ready), besides sends: each makes its one move itself.
DOERS = {graph.UPDATE: update_step.apply, graph.NOTIFY: notify_step.apply}


def _step(run: dict[str, Any], now: float) -> dict[str, Any]:
    v = graph.version(str(run["journey_id"]), int(run["version"]))
    if v is None or str(run["step"]) not in v.steps:  # never published as read: end it
        logger.warning("journey run without its version", extra={"journey_id": run["journey_id"]})
        return runs.move(run, runs.ended("exited", now), {})
    phase, step = str(run["phase"]), str(run["step"])
    if phase == runs.WAITING:
        landing = graph.leave(v, run, step, now, {})
        return runs.move(
            run, runs.landed(runs.key_of(run), landing, now), landing.counted, phase=phase
        )
    if phase == runs.LISTENING:
        counted = stats.tally((step, "timed_out"))
        landing = graph.leave(v, run, step, now, counted, way="on_timeout")
        return runs.move(
            run, runs.landed(runs.key_of(run), landing, now), landing.counted, phase=phase
        )
    if phase == runs.SENT:
        landing = graph.leave(v, run, step, now, stats.tally((step, "sent")))
        return runs.move(
            run, runs.landed(runs.key_of(run), landing, now), landing.counted, phase=phase
        )
    return DOERS.get(str(v.steps[step].get("type")), send_step.send)(v, run, now)
