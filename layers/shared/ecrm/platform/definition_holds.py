"""Who holds a template or segment, so that neither is deleted from under its users.

A draft or scheduled campaign holds its template and segment until it starts (starting copies
both into the campaign's CONTENT snapshot, which is all a sending, paused or finished campaign
reads), is cancelled or is deleted; an automation holds its template while it exists. The
holders are counted on `keys.definition_holds(definition)`, a small item beside the
definition: every hold and release is a write in the same transaction as the state change that
causes it (so it happens exactly once), and deleting the definition is one transaction that
deletes the count only if it is zero. No Query or read-then-write race is involved.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecrm.platform import keys, store
from ecrm.platform.errors import InUse, NotFound


def hold(definition: Mapping[str, str]) -> list[store.Write]:
    """The definition must exist (its check fails otherwise), and gains one holder."""
    key = dict(definition)
    return [
        store.Check(key, "attribute_exists(pk)"),
        store.Update(keys.definition_holds(key), "ADD holders :one", values={":one": 1}),
    ]


def release(definition: Mapping[str, str]) -> store.Update:
    return store.Update(
        keys.definition_holds(dict(definition)), "ADD holders :minus", values={":minus": -1}
    )


def delete(definition: Mapping[str, str], noun: str) -> None:
    """Delete a definition nobody holds: InUse (409) when someone does, NotFound when gone."""
    key = dict(definition)
    writes: list[store.Write] = [
        store.Delete(
            keys.definition_holds(key),
            condition="attribute_not_exists(holders) OR holders <= :zero",
            values={":zero": 0},
        ),
        store.Delete(key, condition="attribute_exists(pk)"),
    ]
    try:
        store.transact(writes)
    except store.TransactionCancelled as cancelled:
        if cancelled.failed[0]:
            raise InUse(
                f"The {noun} is used by a draft or scheduled campaign or by an automation."
            ) from None
        raise NotFound(f"No such {noun}.") from None
