"""Adding a batch's counts to the aggregate items, exactly once.

Per aggregate item (a day, or the gauges) and batch: read it, add the counts in memory, and
write it in one TransactWriteItems with one marker per counted stream record
(`keys.trend_marker`, `attribute_not_exists`, kept `MARKER_SECONDS`: longer than the stream
keeps a record). The item's `version` guards against a concurrent writer (another shard); a
marker already there means that record was counted by an earlier delivery, so it is dropped
and the rest written again. Counts and markers land together or not at all, so a redelivered
or partly failed batch never counts twice and never loses a count.

Each map of a day item keeps at most `KEYS_PER_GROUP` keys (sources come from visitors'
UTM parameters); later newcomers are counted under `OTHER`, so an item stays small.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy
from ecrm.trends.counting import Count

logger = Logger(service="trends", child=True)

MARKER_SECONDS = 26 * 3600  # the stream keeps a record 24 h
KEYS_PER_GROUP = 50
OTHER = "(other)"
_MARKERS_PER_WRITE = 98  # + the aggregate item: a transaction holds 100 writes at most
_ATTEMPTS = 8


@dataclass(frozen=True)
class Tallied:
    counted: int  # records counted now
    repeated: int  # records an earlier delivery had counted already
    writes: int  # items written (aggregates + markers)
    failed: frozenset[str]  # change ids whose aggregate could not be written: redeliver


def add(counts: list[Count], *, now: float | None = None) -> Tallied:
    """Add each aggregate item's counts (one transaction per item and up to 98 records)."""
    now = clock.now() if now is None else now
    groups: dict[tuple[str, str], list[Count]] = {}
    for count in counts:
        groups.setdefault((count.target["pk"], count.target["sk"]), []).append(count)
    counted = repeated = writes = 0
    failed: set[str] = set()
    for (pk, sk), group in groups.items():
        for start in range(0, len(group), _MARKERS_PER_WRITE):
            chunk = group[start : start + _MARKERS_PER_WRITE]
            try:
                done = _add_to_item({"pk": pk, "sk": sk}, chunk, now)
            except Exception:
                logger.exception("could not add counts", extra={"aggregate": sk})
                failed.update(c.change_id for c in chunk)
                continue
            counted, repeated = counted + done, repeated + len(chunk) - done
            writes += done + 1 if done else 0
    return Tallied(counted, repeated, writes, frozenset(failed))


def _add_to_item(key: dict[str, str], counts: list[Count], now: float) -> int:
    """Counts of records not counted before, added once; returns how many were counted."""
    pending = list(counts)
    for attempt in range(_ATTEMPTS):
        if not pending:
            return 0
        stored = store.get(key)
        item = merged(key, stored, pending, now)
        version = stored.get("version") if stored else None
        guard = (
            store.Put(item, "attribute_not_exists(pk)")
            if version is None
            else store.Put(item, "version = :v", values={":v": version})
        )
        markers = [
            store.Put(_marker(c.change_id, now), "attribute_not_exists(pk)") for c in pending
        ]
        try:
            store.transact([guard, *markers])
            return len(pending)
        except store.TransactionCancelled as cancelled:
            if any(cancelled.failed[1:]):
                pending = _not_yet_counted(pending)
        except Busy:  # another shard's transaction on the same item: try again shortly
            time.sleep(random.uniform(0.01, 0.04) * 2**attempt)  # noqa: S311 - jitter
    raise Busy()


def _not_yet_counted(counts: list[Count]) -> list[Count]:
    markers = [keys.trend_marker(c.change_id) for c in counts]
    found = store.batch_get(markers)
    return [c for c, m in zip(counts, markers, strict=True) if (m["pk"], m["sk"]) not in found]


def _marker(change_id: str, now: float) -> dict[str, Any]:
    return {
        **keys.trend_marker(change_id),
        "type": "trend_mark",
        "expires_at": int(now) + MARKER_SECONDS,
    }


def merged(
    key: Mapping[str, str], stored: Mapping[str, Any] | None, counts: list[Count], now: float
) -> dict[str, Any]:
    """The aggregate item with `counts` added (a new item when `stored` is None)."""
    item: dict[str, Any] = dict(stored) if stored else {**key, "type": "trend_aggregate"}
    for count in counts:
        for (group, counted), n in count.deltas.items():
            values = dict(item.get(group) or {})
            name = OTHER if counted not in values and len(values) >= KEYS_PER_GROUP else counted
            values[name] = int(values.get(name, 0)) + n
            item[group] = values
    item["version"] = int(item.get("version", 0)) + 1
    item["updated_at"] = clock.iso(now)
    return item
