"""What each step of a journey did, per version: `entered`, `passed`, `exited`, `converted`, and
for send steps `sent`, `skipped`, `failed` and the mail results `delivered`, `opened`,
`clicked`, `bounced`, `complained`. Each is added in the transaction of the move it counts (the
run's conditional write), so a repeated tick, stream record or SES event counts nothing twice.
Counters are sharded by contact (`keys.journey_count`) and named `<step>#<what>` on the shard
item; `waiting` is entered minus passed, exited and converted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecrm.platform import keys, store

MOVES = ("entered", "passed", "exited", "converted")
MAIL = ("sent", "skipped", "failed", "delivered", "opened", "clicked", "bounced", "complained")

Tally = dict[str, dict[str, int]]  # step -> counter -> n


def tally(*moves: tuple[str, str]) -> Tally:
    counted: Tally = {}
    for step, what in moves:
        into = counted.setdefault(step, {})
        into[what] = into.get(what, 0) + 1
    return counted


def merge(into: Tally, more: Tally) -> Tally:
    for step, counters in more.items():
        for what, n in counters.items():
            into.setdefault(step, {})[what] = into.get(step, {}).get(what, 0) + n
    return into


def add(journey_id: str, version: int, contact_id: str, counted: Tally) -> store.Update:
    """The write that adds a move's counts (for the move's own transaction)."""
    names = {"#type": "type"}
    values: dict[str, Any] = {":type": "journey_counts", ":id": journey_id, ":v": version}
    adds = []
    for n, (name, value) in enumerate(
        (f"{step}#{what}", count) for step, c in counted.items() for what, count in c.items()
    ):
        names[f"#c{n}"] = name
        values[f":c{n}"] = value
        adds.append(f"#c{n} :c{n}")
    expression = "SET #type = :type, journey_id = :id, version = :v"
    if adds:
        expression += " ADD " + ", ".join(adds)
    return store.Update(
        keys.journey_count(journey_id, version, contact_id), expression, names=names, values=values
    )


def summed(items: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, dict[str, int]]]:
    """Shards added up: version -> step -> counters (with `waiting`)."""
    totals: dict[int, dict[str, dict[str, int]]] = {}
    for item in items:
        steps = totals.setdefault(int(item["version"]), {})
        for name, value in item.items():
            if "#" not in name or name in ("pk", "sk"):
                continue
            step, what = name.rsplit("#", 1)
            steps.setdefault(step, {})[what] = steps.get(step, {}).get(what, 0) + int(value)
    for steps in totals.values():
        for c in steps.values():
            rest = sum(c.get(k, 0) for k in ("passed", "exited", "converted"))
            c["waiting"] = max(0, c.get("entered", 0) - rest)
    return totals


def of(journey_id: str) -> dict[int, dict[str, dict[str, int]]]:
    """One journey's counts, every version: one Query of its shards."""
    return summed(store.query_all(keys.JOURNEYS, sk_prefix=keys.journey_counts(journey_id)))


def totals() -> dict[str, dict[str, int]]:
    """Every journey's entries and conversions, all versions (the journeys' list): one Query of
    the counter shards. A run enters its version's start once, and every `passed` lands it on
    the next step (`graph.walk`, `graph.leave`), so entries are entered minus passed, summed
    over the steps, with no version's start to read."""
    found: dict[str, dict[str, int]] = {}
    for item in store.query_all(keys.JOURNEYS, sk_prefix=keys.JOURNEY_COUNTS):
        into = found.setdefault(str(item["journey_id"]), {"entered": 0, "converted": 0})
        for name, value in item.items():
            what = name.rsplit("#", 1)[-1] if "#" in name and name not in ("pk", "sk") else ""
            if what == "entered":
                into["entered"] += int(value)
            elif what == "passed":
                into["entered"] -= int(value)
            elif what == "converted":
                into["converted"] += int(value)
    return found
