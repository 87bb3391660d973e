"""A published journey version read back as plain values (no pydantic: the stream consumer's
and the tick's cold start), and the walk of its instant steps.

A version never changes once published, so it is cached per process for good (`version`); the
live journeys (entry, re-entry, goal of each live version) are one Query of `JOURNEYS`,
cached `DEFINITION_CACHE_SECONDS` like automation rules (`live_journeys`).

`walk` goes from a step the run arrives at through branches, splits and exits (instant) to the
next durable point: a send (due now), a wait (due after its minutes) or the end; it counts each
step entered, passed or exited. It reads only the run (its `engaged` marks) and a hash, so a
walk done again after a crash takes the same path.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecrm.automations.triggers import JourneyWhen, When
from ecrm.journeys import facts, stats
from ecrm.platform import clock, definitions, keys, store

if TYPE_CHECKING:
    from ecrm.journeys.dates import DateRule

SEND, WAIT, BRANCH, SPLIT, EXIT = "send", "wait", "branch", "split", "exit"
WAIT_FOR = "wait_for"  # until an event (the stream wakes the run) or its timeout (the tick)
UPDATE = "update"  # the contact changed: in the run's move, by the tick (`update_step`)
NOTIFY = "notify"  # a notice in the run's move, by the tick (`notify_step`)
WAIT_UNTIL = "wait_until"  # a time of day in the contact's zone (`local_wait`)


def when_of(raw: Mapping[str, Any] | None) -> When | None:
    return _when(raw)


def _when(raw: Mapping[str, Any] | None) -> When | None:
    if not raw:
        return None
    at_least = raw.get("at_least")
    return JourneyWhen(
        raw["event"],
        raw.get("form_id"),
        raw.get("stage"),
        raw.get("topic"),
        raw.get("name"),
        float(at_least) if at_least is not None else None,
        raw.get("campaign_id"),
    )


@dataclass(frozen=True)
class Version:
    journey_id: str
    version: int
    name: str
    entry: When | None  # None: a segment's members (`segment`) or a date's (`date`) enter
    goal: When | None
    reentry_days: int | None  # None: once ever
    start: str
    steps: Mapping[str, Mapping[str, Any]]
    migrated_from: str | None = None  # the automation rule it was (its runs count as entries)
    segment: str | None = None  # entry by a segment: its members at publish
    joiners: bool = False  # ... and those who join it later (`joiners`)
    date: DateRule | None = None  # entry on a date field: each day's (`date_entry`)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Version:
        reentry = item.get("reentry") or {}
        segment = item["entry"].get("segment")
        date = _date_rule(item["entry"])
        return cls(
            journey_id=str(item["journey_id"]),
            version=int(item["version"]),
            name=str(item["name"]),
            entry=None if segment or date else _when(item["entry"]),
            segment=str(segment) if segment else None,
            joiners=bool(segment and item["entry"].get("joiners")),
            date=date,
            goal=_when(item.get("goal")),
            reentry_days=int(reentry["days"]) if reentry.get("days") else None,
            start=str(item["start"]),
            steps={str(s["id"]): s for s in item["steps"]},
            migrated_from=item.get("migrated_from"),
        )


_lock = threading.Lock()
_versions: dict[tuple[str, int], Version] = {}
_live: tuple[float, list[Version], frozenset[str]] | None = None


def version(journey_id: str, number: int) -> Version | None:
    """A published version (immutable: cached for good)."""
    with _lock:
        found = _versions.get((journey_id, number))
    if found is None:
        item = store.get(keys.journey_version(journey_id, number), consistent=False)
        if item is None:
            return None
        found = Version.from_item(item)
        with _lock:
            _versions[(journey_id, number)] = found
    return found


def live_journeys(
    *, read_after: float | None = None, fresh_since: float | None = None
) -> list[Version]:
    """The live version of every live journey (one Query, cached a short while); with
    `read_after` (a `time.monotonic()`), only from a read begun after it (the automation
    rules' read, `triggers.Rules`: a rule seen migrated has its journey seen live); with
    `fresh_since`, a read begun after it serves even once the cache time is over (a stream
    batch's start: one read a batch where nothing is cached)."""
    return _journeys(read_after, fresh_since)[1]


def listened(
    *, read_after: float | None = None, fresh_since: float | None = None
) -> frozenset[str]:
    """The events (`When.event`) some published version of any journey, live or stopped, has a
    `wait_for` step for (`listens` on the journey item, added on publish): the stream looks
    for a contact's waiting runs only on those (the same Query and cache as `live_journeys`)."""
    return _journeys(read_after, fresh_since)[2]


def _journeys(
    read_after: float | None, fresh_since: float | None = None
) -> tuple[float, list[Version], frozenset[str]]:
    global _live  # noqa: PLW0603 - a one-entry cache shared by the threads of one process
    with _lock:
        cached = _live
    if (
        cached
        and definitions.still_fresh(cached[0], fresh_since)
        and (read_after is None or cached[0] >= read_after)
    ):
        return cached
    started = time.monotonic()
    items = list(store.query_all(keys.JOURNEYS, sk_prefix=keys.JOURNEY_RUN, consistent=True))
    found = [Version.from_item(item["live"]) for item in items if item.get("live")]
    listens = frozenset(str(e) for item in items for e in item.get("listens") or ())
    fresh = (started, found, listens)
    with _lock:
        _live = fresh
    return fresh


def forget_cached() -> None:
    global _live  # noqa: PLW0603
    with _lock:
        _live = None


@dataclass(frozen=True)
class Landing:
    """Where a walk stops: at `step` (due at `due_at`, `phase` ready, waiting or listening),
    or ended."""

    step: str
    phase: str | None  # "ready" (a send), "waiting" (a wait), "listening" (a wait_for); None: ended
    due_at: float | None
    outcome: str | None  # completed, exited, holdout (when ended)
    counted: stats.Tally


def _date_rule(entry: Mapping[str, Any]) -> DateRule | None:
    """A date field's entry, read by `dates`: imported for one only (the stream consumers'
    cold starts read every live version and need no calendar)."""
    if "date_field" not in entry:
        return None
    from ecrm.journeys import dates  # noqa: PLC0415 - see the docstring

    return dates.DateRule.from_entry(entry)


def draw(journey_id: str, contact_id: str, run_no: int, step_id: str) -> int:
    """0..99, the same every time for this run and step."""
    digest = hashlib.sha256(f"{journey_id}|{contact_id}|{run_no}|{step_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def _durable(
    at: str, step: Mapping[str, Any], about: facts.Facts, now: float, counted: stats.Tally
) -> Landing | None:
    """Where a walk stops: a send, an update or a notify (due now), a wait, a wait_until or a
    wait_for (due at its end)."""
    kind = step["type"]
    if kind == WAIT_UNTIL:
        from ecrm.journeys import local_wait  # noqa: PLC0415 - zones: only wait_until steps

        return Landing(at, "waiting", local_wait.moment(about.contact(), step, now), None, counted)
    if kind in (SEND, UPDATE, NOTIFY):
        return Landing(at, "ready", now, None, counted)
    if kind == WAIT:
        return Landing(at, "waiting", now + int(step["minutes"]) * 60, None, counted)
    if kind == WAIT_FOR:
        return Landing(at, "listening", now + int(step["timeout_minutes"]) * 60, None, counted)
    return None


def walk(
    v: Version,
    run: Mapping[str, Any],
    arrive_at: str,
    now: float,
    contact: Mapping[str, Any] | None = None,
) -> Landing:
    """From `arrive_at` (entered now) to the next send, wait or end; `contact`: the contact as
    the move being made leaves it (else read when a step needs it: `facts`)."""
    about = facts.Facts(str(run["contact_id"]), contact)
    counted: stats.Tally = {}
    at = arrive_at
    engaged = set(run.get("engaged") or ())
    for _ in range(len(v.steps) + 1):  # the graph has no cycle (model.check_graph)
        stats.merge(counted, stats.tally((at, "entered")))
        step = v.steps[at]
        kind = step["type"]
        if durable := _durable(at, step, about, now, counted):
            return durable
        if kind == EXIT:
            stats.merge(counted, stats.tally((at, "exited")))
            return Landing(at, None, None, "exited", counted)
        target: str | None
        if kind == BRANCH:
            asked = step["if"]
            if asked.get("conditions"):
                yes = about.in_segment(asked["conditions"], now)
            else:
                what = "opened" if asked.get("opened") else "clicked"
                yes = f"{asked[what]}:{what}" in engaged
            target = step.get("yes") if yes else step.get("no")
        else:  # SPLIT
            roll, target, holdout = (
                draw(v.journey_id, str(run["contact_id"]), int(run["run_no"]), at),
                None,
                True,
            )
            for path in step["paths"]:
                roll -= int(path["percent"])
                if roll < 0:
                    target, holdout = path.get("next"), not path.get("next")
                    break
            if holdout:
                stats.merge(counted, stats.tally((at, "exited")))
                return Landing(at, None, None, "holdout", counted)
        if not target:
            stats.merge(counted, stats.tally((at, "exited")))
            return Landing(at, None, None, "completed", counted)
        stats.merge(counted, stats.tally((at, "passed")))
        at = str(target)
    raise RuntimeError("the journey's steps go round in a circle")  # check_graph refuses it


def leave(
    v: Version,
    run: Mapping[str, Any],
    step_id: str,
    now: float,
    counted: stats.Tally,
    *,
    way: str = "next",
    contact: Mapping[str, Any] | None = None,
) -> Landing:
    """The run leaves a durable step by `way` (its `next`; a `wait_for`'s `on_timeout`): on
    to that step, or the end of the journey (`contact`: as `walk`)."""
    target = v.steps[step_id].get(way)
    if not target:
        stats.merge(counted, stats.tally((step_id, "exited")))
        return Landing(step_id, None, None, "completed", counted)
    stats.merge(counted, stats.tally((step_id, "passed")))
    landing = walk(v, run, str(target), now, contact)
    return Landing(
        landing.step,
        landing.phase,
        landing.due_at,
        landing.outcome,
        stats.merge(counted, landing.counted),
    )


def iso(at: float) -> str:
    return clock.iso(at)
