"""What the table's stream does for journeys (the automations' stream consumer calls it with
the same trigger event, `ecrm.automations.triggers.happened`):

- **goal**: an active run of a journey whose goal the event is ends `converted`, counted on
  the step it was at (one conditional Update on the run's `seq`, its counters in the same
  transaction; a run that moved meanwhile is read again);
- **entry**: each live journey the event enters writes a run with its first instant steps
  already walked (`graph.walk`), due now (a send: the next tick) or after its first wait. The
  Put is conditional on the re-entry rule: no run yet, or (again after N days) an ended run
  entered N days ago or more: at most one active run per contact and journey, and a
  redelivered record enters no one.

- **wake**: a run waiting for this event (`wait_for`) goes on (`wake`).

A goal is handled before entries, so an event that is both a journey's goal and its entry
ends a run and does not start it again at once (the re-entry rule decides); wakes come before
entries too, so an entry never wakes the run it starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.automations.triggers import Happened, matches
from ecrm.journeys import graph, runs, stats, wake
from ecrm.platform import clock, keys, store

logger = Logger(service="mailing", child=True)

GOAL_TRIES = 3


@dataclass(frozen=True)
class Outcome:
    entered: list[str]
    converted: list[str]
    woken: list[str]  # runs waiting for this event (`wait_for`), moved on


def on_event(
    event: Happened,
    *,
    now: float | None = None,
    read_after: float | None = None,
    record_id: str | None = None,
) -> tuple[list[str], list[str]]:
    """(journeys entered, journeys converted) for this event's contact (`handle`)."""
    done = handle(event, now=now, read_after=read_after, record_id=record_id)
    return done.entered, done.converted


def handle(
    event: Happened,
    *,
    now: float | None = None,
    read_after: float | None = None,
    record_id: str | None = None,
    fresh_since: float | None = None,
) -> Outcome:
    """Goals, then waiting runs woken (`wake`), then entries, for this event's contact;
    `read_after`: the live journeys read no earlier than that, `fresh_since`: a read begun
    after it serves (a stream batch's start; both `graph.live_journeys`'); `record_id`: the
    stream record's id (a redelivered record wakes nothing twice)."""
    now = clock.now() if now is None else now
    live = graph.live_journeys(read_after=read_after, fresh_since=fresh_since)
    converted = [v.journey_id for v in live if v.goal and matches(v.goal, event)]
    converted = [j for j in converted if convert(event.contact_id, j, now)]
    woken = wake.on_event(event, now, record_id, fresh_since)
    entered = [
        v.journey_id
        for v in live
        if v.entry and matches(v.entry, event) and enter(v, event, now, record_id)
    ]
    return Outcome(entered, converted, woken)


def segment_event(contact_id: str, segment_id: str) -> Happened:
    """What a segment entry enters on (its members at publish, `enrollment`; later joiners,
    `joiners`): the run's `trigger_ref` is `segment:<id>`."""
    return Happened("segment", contact_id, f"segment:{segment_id}")  # type: ignore[arg-type]


def enter(
    v: graph.Version,
    event: Happened,
    now: float,
    record_id: str | None = None,
    *,
    once_per_ref: bool = False,
) -> bool:
    """Enter the contact (False: the re-entry rule says no); `once_per_ref`: never again for
    the same `event.ref` either (a date entry's day, however late its page comes back)."""
    key = keys.journey_run(event.contact_id, v.journey_id)
    run: dict[str, Any] = {
        **key,
        "type": "journey_run",
        "journey_id": v.journey_id,
        "version": v.version,
        "contact_id": event.contact_id,
        "run_no": int(now * 1000),
        "entered_at": clock.iso(now),
        "trigger_ref": event.ref,
        "seq": 0,
    }
    if record_id:  # its first step may wait for this very event: this record does not wake it
        run["stream_records"] = [record_id]
    landing = graph.walk(v, run, v.start, now)
    run |= runs.landed(key, landing, now)
    condition, values = "attribute_not_exists(pk)", {}
    if v.reentry_days is not None:
        again = "#state = :ended AND entered_at <= :cutoff"
        values = {":ended": runs.ENDED, ":cutoff": clock.iso(now - v.reentry_days * 86400)}
        if once_per_ref:
            again += " AND (attribute_not_exists(trigger_ref) OR trigger_ref <> :ref)"
            values[":ref"] = event.ref
        condition += f" OR ({again})"
    try:
        store.transact(
            [
                store.Put(
                    run,
                    condition=condition,
                    names={"#state": "state"} if values else {},
                    values=values,
                ),
                stats.add(v.journey_id, v.version, event.contact_id, landing.counted),
                *_rule_had_none(v, event.contact_id, values),
            ]
        )
    except store.TransactionCancelled:
        return False  # a run is active, or the re-entry rule says not yet
    logger.info("journey entered", extra={"journey_id": v.journey_id, "version": v.version})
    return True


def _rule_had_none(v: graph.Version, contact_id: str, values: dict[str, Any]) -> list[store.Check]:
    """A journey that was an automation rule (`migration`): the rule's run stands for an
    entry, made when it was created (so `once` enters no contact the rule fired for, before
    or during the switch-over; the rule's side checks this journey's run the same way)."""
    if not v.migrated_from:
        return []
    key = keys.automation_run(contact_id, v.migrated_from)
    if ":cutoff" not in values:
        return [store.Check(key, "attribute_not_exists(pk)")]
    cutoff = {":cutoff": values[":cutoff"]}
    return [store.Check(key, "attribute_not_exists(pk) OR created_at <= :cutoff", values=cutoff)]


def convert(contact_id: str, journey_id: str, now: float) -> bool:
    """End the contact's active run of this journey as a conversion (False: none active)."""
    key = keys.journey_run(contact_id, journey_id)
    for _ in range(GOAL_TRIES):
        run = store.get(key)
        if run is None or run.get("state") != runs.ACTIVE:
            return False
        counted = stats.tally((str(run["step"]), "converted"))
        try:
            runs.move(run, runs.ended("converted", now), counted)
        except runs.Moved:
            continue
        return True
    return False
