"""Applying a stream batch: one conditional TransactWriteItems per contact per batch.

The transaction puts the contact's score item (condition: the `version` we read, or absent),
one history item per event that moved the score (rule points, event id) and one `stage_changed`
interaction per transition. The score item carries the ids of the events already applied
(`applied`, kept for `RETENTION_SECONDS` after they were applied, longer than the stream keeps a
record), so a redelivered or partly failed batch finds them and never counts an event twice;
and since the ids land in the same write as the points, an event is never lost either.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.contacts import records
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy
from ecrm.scoring import rulesets
from ecrm.scoring.engine import Engine, Event, Outcome, Score

logger = Logger(service="scoring", child=True)

STAGE_CHANGED = "stage_changed"
# A transaction holds at most 100 writes: 1 score + up to 2 per event.
_EVENTS_PER_WRITE = 40


@dataclass(frozen=True)
class Applied:
    contact_id: str
    events: int  # new events applied (0: a redelivery with nothing new)
    transitions: int


def is_scored(item: Mapping[str, Any]) -> bool:
    """Interactions the engine reads (the stream filter lets only these through, too)."""
    return str(item.get("sk", "")).startswith("EVENT#") and item.get("type") != STAGE_CHANGED


def contact_view(item: Mapping[str, Any] | None) -> dict[str, Any]:
    """What fit rules see: profile fields plus `email`, `status`, `topics`."""
    if not item:
        return {}
    view = records.profile_of(dict(item))
    for name in ("email", "status", "topics"):
        if name in item:
            view[name] = item[name]
    return view


# --- the score item -----------------------------------------------------------------------
def score_from_item(item: Mapping[str, Any]) -> Score:
    return Score(
        ruleset_version=int(item["ruleset_version"]),
        stage=str(item["stage"]),
        half_life=item.get("half_life"),
        as_of=item.get("as_of"),
        stage_since=item.get("stage_since"),
        fit=dict(item.get("fit", {})),
        engagement=dict(item.get("engagement", {})),
        caps=dict(item.get("caps", {})),
        applied=dict(item.get("applied", {})),
        version=int(item["version"]),
    )


def score_item(contact_id: str, score: Score, now: float) -> dict[str, Any]:
    at = score.as_of if score.as_of is not None else now
    return {
        **keys.score(contact_id, score.stage),
        "type": "score",
        "contact_id": contact_id,
        "score": round(score.total(at), 2),  # as of `as_of`; read through `Score.total(now)`
        "stage": score.stage,
        "stage_since": score.stage_since,
        "ruleset_version": score.ruleset_version,
        "half_life": score.half_life,
        "as_of": score.as_of,
        "fit": score.fit,
        "engagement": score.engagement,
        "caps": score.caps,
        "applied": score.applied,
        "version": score.version + 1,
        "updated_at": clock.iso(now),
    }


def plan(
    contact_id: str, outcome: Outcome, stored_version: int | None, now: float
) -> list[store.Write]:
    score = outcome.score
    score.forget_before(now)
    item = score_item(contact_id, score, now)
    if stored_version is None:
        writes: list[store.Write] = [store.Put(item, "attribute_not_exists(pk)")]
    else:
        writes = [store.Put(item, "version = :v", values={":v": stored_version})]
    for change in outcome.changes:
        at = clock.iso(change.at)
        history = {
            **keys.score_change(contact_id, at, change.event_id),
            "type": "score_change",
            "contact_id": contact_id,
            "event_id": change.event_id,
            "event_type": change.event_type,
            "event_name": change.event_name,
            "at": at,
            "points": change.points,
            "capped": list(change.capped) or None,
            "score": change.score,
            "ruleset_version": score.ruleset_version,
        }
        writes.append(store.Put(history, "attribute_not_exists(pk)"))
    for moved in outcome.transitions:
        # Its sort key follows the cause's, so the timeline reads cause, then move.
        at, event_id = clock.iso(moved.at), f"{moved.cause}-stage"
        interaction = {
            **keys.interaction(contact_id, at, event_id),
            "type": STAGE_CHANGED,
            "contact_id": contact_id,
            "event_id": event_id,
            "at": at,
            "from_stage": moved.from_stage,
            "to_stage": moved.to_stage,
            "score": moved.score,
            "cause": moved.cause,
            "ruleset_version": score.ruleset_version,
        }
        writes.append(store.Put(interaction, "attribute_not_exists(pk)"))
    return writes


# --- reading ------------------------------------------------------------------------------
def timeline_events(contact_id: str) -> list[Event]:
    """Every scored interaction of a contact (a re-score replays them)."""
    found: list[Event] = []
    start: dict[str, Any] | None = None
    while True:
        items, start = store.query(f"CONTACT#{contact_id}", sk_prefix="EVENT#", start=start)
        found += [Event.from_item(i) for i in items if is_scored(i)]
        if not start:
            return found


Loaded = tuple[Score | None, dict[str, Any]]  # the stored score (None: none yet), the fit view


def _load(contact_id: str) -> Loaded:
    stored = store.get(keys.score(contact_id))
    contact = contact_view(store.get(keys.contact(contact_id)))
    return (score_from_item(stored) if stored else None), contact


def load_many(contact_ids: Collection[str]) -> dict[str, Loaded]:
    """What `apply_contact` reads first, for a whole batch's contacts in BatchGetItem calls
    (consistent, like `_load`): two round trips per 50 contacts instead of two per contact."""
    wanted = [k for c in contact_ids for k in (keys.score(c), keys.contact(c))]
    found = store.batch_get(wanted)

    def item(key: Mapping[str, str]) -> dict[str, Any] | None:
        return found.get((key["pk"], key["sk"]))

    loaded: dict[str, Loaded] = {}
    for contact_id in contact_ids:
        stored = item(keys.score(contact_id))
        contact = contact_view(item(keys.contact(contact_id)))
        loaded[contact_id] = (score_from_item(stored) if stored else None), contact
    return loaded


# --- applying -----------------------------------------------------------------------------
def _outcome(
    contact_id: str,
    engine: Engine,
    stored: Score | None,
    events: list[Event],
    *,
    fit: dict[str, float],
    now: float,
) -> Outcome | None:
    if stored is not None and stored.ruleset_version != engine.version:
        # Scored under another ruleset: rebuild from the timeline (it holds `events` too).
        rebuilt = engine.replay(timeline_events(contact_id), fit, now, stored)
        rest = engine.apply(rebuilt.score, events, fit, now)
        return Outcome(rest.score, rest.changes, rebuilt.transitions + rest.transitions)
    base = stored or engine.new_score()
    if all(e.event_id in base.applied for e in events):
        return None  # a redelivery: everything here is already counted
    return engine.apply(base, events, fit, now)


def apply_contact(
    contact_id: str,
    events: list[Event],
    *,
    now: float | None = None,
    engine: Engine | None = None,
    loaded: Loaded | None = None,
) -> Applied:
    """Apply one contact's events of a batch: one conditional write, retried on a race.
    `engine` and `loaded` (from `load_many`) spare the reads when the batch made them; a
    retry reads the contact again."""
    now = clock.now() if now is None else now
    events = sorted(events, key=lambda e: (e.at, e.event_id))
    if len(events) > _EVENTS_PER_WRITE:  # only with batches larger than the template's
        chunks = [
            events[i : i + _EVENTS_PER_WRITE] for i in range(0, len(events), _EVENTS_PER_WRITE)
        ]
        parts = [
            apply_contact(contact_id, chunk, now=now, engine=engine, loaded=None if i else loaded)
            for i, chunk in enumerate(chunks)
        ]
        return Applied(contact_id, sum(p.events for p in parts), sum(p.transitions for p in parts))
    engine = engine or rulesets.engine()
    for _ in range(4):
        stored, contact = loaded or _load(contact_id)
        loaded = None
        if stored is not None and stored.ruleset_version > engine.version:
            engine = rulesets.engine(fresh=True)  # another function saw a newer ruleset
        outcome = _outcome(contact_id, engine, stored, events, fit=engine.fit(contact), now=now)
        if outcome is None:
            return Applied(contact_id, 0, 0)
        stored_version = stored.version if stored else None
        try:
            store.transact(plan(contact_id, outcome, stored_version, now))
        except store.TransactionCancelled:
            logger.info("score changed meanwhile; recomputing")
            continue
        fresh = [e for e in events if stored is None or e.event_id not in stored.applied]
        return Applied(contact_id, len(fresh), len(outcome.transitions))
    raise Busy()


def contact_of(item: Mapping[str, Any]) -> str:
    return keys.contact_id_of(str(item.get("pk", "")))


def read_event(item: Mapping[str, Any]) -> Event:
    """The event of an interaction item (KeyError/TypeError/ValueError when malformed)."""
    return Event.from_item(item)


def rescore_contact(contact_id: str, engine: Engine, *, now: float | None = None) -> bool:
    """Rebuild one contact's score under `engine` (the re-score job); False if already there."""
    now = clock.now() if now is None else now
    for _ in range(4):
        stored, contact = _load(contact_id)
        if stored is None or stored.ruleset_version == engine.version:
            return False
        outcome = engine.replay(timeline_events(contact_id), engine.fit(contact), now, stored)
        try:
            store.transact(plan(contact_id, outcome, stored.version, now))
        except store.TransactionCancelled:
            continue
        return True
    raise Busy()
