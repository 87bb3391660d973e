"""A contact's run of a journey (`keys.journey_run`) and the one way it moves: `move`, a
transaction of the run's Update, conditional on the `seq` read (every move adds one) and on
the run being active, with the counters of every step the move passed (`stats.add`). Two
ticks, a repeated minute or a redelivered record find `seq` moved (`Moved`) and change nothing.

    active: step S, phase ready (a send to do) | waiting (a wait) | listening (a wait_for: an
            event wakes it, else its timeout) | sending (claimed) | sent (SES's Send event said
            it was accepted), due_at and its due entry
    ended:  outcome completed | exited | holdout | converted, no due entry
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecrm.journeys import graph, stats
from ecrm.platform import clock, keys, store

ACTIVE, ENDED = "active", "ended"
READY, WAITING, SENDING, SENT = "ready", "waiting", "sending", "sent"
LISTENING = "listening"


class Moved(Exception):
    """The run is no longer as read (another tick moved it, a goal ended it)."""


class OtherChanged(Exception):
    """An `extra` write's condition failed (the contact's frequency cap record moved)."""


def landed(key: Mapping[str, str], landing: graph.Landing, now: float) -> dict[str, Any]:
    """The run's attributes where a walk stopped."""
    if landing.phase is None:
        assert landing.outcome is not None
        return {**ended(landing.outcome, now), "step": landing.step}
    assert landing.due_at is not None
    due_at = clock.iso(landing.due_at)
    return {
        "state": ACTIVE,
        "step": landing.step,
        "phase": landing.phase,
        "due_at": due_at,
        **keys.due(due_at, dict(key)),
    }


def ended(outcome: str, now: float) -> dict[str, Any]:
    return {"state": ENDED, "outcome": outcome, "ended_at": clock.iso(now)}


def key_of(run: Mapping[str, Any]) -> dict[str, str]:
    return {"pk": str(run["pk"]), "sk": str(run["sk"])}


def move(
    run: Mapping[str, Any],
    changes: Mapping[str, Any],
    counted: stats.Tally,
    *,
    phase: str | None = None,
    extra: Sequence[store.Write] = (),
) -> dict[str, Any]:
    """Apply `changes` to the run as read (and only so: `seq`, active, and `phase` if given);
    returns the run as it now is. Raises Moved when it was not as read."""
    names, values = {"#state": "state"}, {":seq": int(run["seq"]), ":one": 1, ":active": ACTIVE}
    sets = []
    for n, (name, value) in enumerate(sorted(changes.items())):
        names[f"#a{n}"] = name
        values[f":a{n}"] = value
        sets.append(f"#a{n} = :a{n}")
    removes = ["claimed_at"] if "claimed_at" not in changes else []
    if changes.get("state") == ENDED:
        removes += ["gsi1pk", "gsi1sk", "phase", "due_at"]
    condition = "seq = :seq AND #state = :active"
    if phase is not None:
        condition += " AND #phase = :phase"
        names["#phase"] = "phase"
        values[":phase"] = phase
    expression = f"SET {', '.join([*sets, 'seq = seq + :one'])}"
    if removes:
        expression += f" REMOVE {', '.join(removes)}"
    update = store.Update(key_of(run), expression, condition, names, values)
    writes: list[store.Write] = [update, *extra]
    if counted:
        writes.append(
            stats.add(str(run["journey_id"]), int(run["version"]), str(run["contact_id"]), counted)
        )
    try:
        if len(writes) == 1:
            store.write(update)
        else:
            store.transact(writes)
    except (store.ConditionFailed, store.TransactionCancelled) as error:
        if isinstance(error, store.TransactionCancelled) and not error.failed[0]:
            raise OtherChanged() from None
        raise Moved() from None
    now = {k: v for k, v in run.items() if k not in removes}
    return {**now, **changes, "seq": int(run["seq"]) + 1}
