"""What each automation rule did: runs `triggered` (scheduled for a contact), then `sent`,
`skipped` or `failed`. Each counter is added in the transaction that makes the move it counts
(the run's conditional write), so a repeated stream record or schedule tick, which finds the
run already moved, never counts twice. Counters are sharded per rule (`keys.automation_count`)
and kept beside the rules, so one Query of their partition reads every rule and its counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ecrm.platform import keys, store

Counted = Literal["triggered", "sent", "skipped", "failed"]
COUNTED: tuple[Counted, ...] = ("triggered", "sent", "skipped", "failed")


# A plain value, no pydantic model: the stream consumer counts too (its cold start).
@dataclass(frozen=True)
class Counts:
    triggered: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    waiting: int = 0  # triggered, not yet sent, skipped or failed (due later, or retrying)


def add(automation_id: str, contact_id: str, what: Counted) -> store.Update:
    """The write that counts one move of a run (for the run's own transaction)."""
    return store.Update(
        keys.automation_count(automation_id, contact_id),
        "SET #type = :type, automation_id = :id ADD #n :one",
        names={"#type": "type", "#n": what},
        values={":type": "automation_counts", ":id": automation_id, ":one": 1},
    )


def summed(items: Iterable[Mapping[str, Any]]) -> dict[str, Counts]:
    """Counter shards added up per rule id."""
    totals: dict[str, dict[str, int]] = {}
    for item in items:
        into = totals.setdefault(str(item["automation_id"]), dict.fromkeys(COUNTED, 0))
        for name in COUNTED:
            into[name] += int(item.get(name, 0))
    return {
        rule_id: Counts(
            **c, waiting=max(0, c["triggered"] - c["sent"] - c["skipped"] - c["failed"])
        )
        for rule_id, c in totals.items()
    }


def of(automation_id: str) -> Counts:
    """One rule's counts: one Query of its shards."""
    found = store.query_all(keys.AUTOMATIONS, sk_prefix=keys.automation_counts(automation_id))
    return summed(found).get(automation_id, Counts())
