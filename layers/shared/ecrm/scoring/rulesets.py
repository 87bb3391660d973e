"""Stored rulesets: every saved version is kept (`V#<n>`, immutable) and `CURRENT` holds a copy
of the newest, so reading the ruleset is one GetItem. Functions cache the compiled engine for
`RULESET_CACHE_SECONDS`; a score written under a newer version than a function knows makes it
reload at once (see `ledger`)."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy, Conflict, NotFound
from ecrm.platform.settings import settings
from ecrm.scoring.engine import Engine
from ecrm.scoring.rules import Ruleset, default_ruleset

_lock = threading.Lock()
_cached: tuple[float, Engine] | None = None


def _from_item(item: dict[str, Any]) -> Ruleset:
    return Ruleset.from_item({**item["ruleset"], "version": item["version"]})


def current() -> Ruleset:
    item = store.get(keys.ruleset())
    return _from_item(item) if item else default_ruleset()


def engine(*, fresh: bool = False) -> Engine:
    """The current ruleset, compiled; cached per process for a short while."""
    global _cached  # noqa: PLW0603 - one cache per process, like form definitions
    now = time.monotonic()
    with _lock:
        if not fresh and _cached and now - _cached[0] < settings().ruleset_cache_seconds:
            return _cached[1]
    compiled = Engine(current())
    with _lock:
        _cached = (now, compiled)
    return compiled


def forget_cached() -> None:
    global _cached  # noqa: PLW0603
    with _lock:
        _cached = None


def version(number: int) -> Ruleset:
    if number == 0:
        return default_ruleset()
    item = store.get(keys.ruleset(number), consistent=False)
    if item is None:
        raise NotFound(f"There is no ruleset version {number}.")
    return _from_item(item)


def history(limit: int = 50) -> list[dict[str, Any]]:
    """Saved versions, newest first: version, when, by whom."""
    items, _ = store.query(keys.RULESET, sk_prefix="V#", limit=limit, newest_first=True)
    return [
        {
            "version": i["version"],
            "updated_at": i.get("updated_at"),
            "updated_by": i.get("updated_by"),
        }
        for i in items
    ]


def all_stage_names() -> list[str]:
    """Stage names of every version (a re-score must also find contacts in renamed stages)."""
    names = default_ruleset().stage_names()
    start: dict[str, Any] | None = None
    while True:
        items, start = store.query(keys.RULESET, sk_prefix="V#", start=start)
        for item in items:
            names += [s["name"] for s in item["ruleset"].get("stages", [])]
        if not start:
            return list(dict.fromkeys(names))


def save(ruleset: Ruleset, updated_by: str, *, expected: int | None = None) -> Ruleset:
    """Store `ruleset` as the next version; two racing saves both land, one after the other,
    unless `expected` (the version the edit started from) says the current one moved on."""
    for _ in range(3):
        stored = store.get(keys.ruleset())
        previous = int(stored["version"]) if stored else 0
        if expected is not None and expected != previous:
            raise Conflict(
                f"The ruleset is at version {previous} now, not {expected}: reload and edit again."
            )
        saved = dataclasses.replace(
            ruleset,
            version=previous + 1,
            updated_at=clock.iso(clock.now()),
            updated_by=updated_by[:200],
        )
        body = {
            "type": "scoring_ruleset",
            "version": saved.version,
            "ruleset": saved.to_item(),
            "updated_at": saved.updated_at,
            "updated_by": saved.updated_by,
        }
        current_condition = "attribute_not_exists(pk)" if stored is None else "version = :v"
        try:
            store.transact(
                [
                    store.Put({**keys.ruleset(saved.version), **body}, "attribute_not_exists(pk)"),
                    store.Put(
                        {**keys.ruleset(), **body},
                        current_condition,
                        values={":v": previous} if stored else {},
                    ),
                ]
            )
        except store.TransactionCancelled:
            continue
        forget_cached()
        return saved
    raise Busy()
