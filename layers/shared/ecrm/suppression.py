"""Suppression: addresses that are never mailed again (hard bounces, complaints, unsubscribes
from everything, erasure). The item is keyed by the address's hash and holds no address, so it
survives an erasure without keeping the person's data. Every send checks it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ecrm import keys, store

Reason = Literal["bounce", "complaint", "unsubscribe", "erased"]


def suppress(normalized_email: str, reason: Reason, at: str) -> store.Update:
    """Idempotent: a second reason is added to the set, the first time is kept."""
    return store.Update(
        keys.suppression(normalized_email),
        "SET #type = :type, first_at = if_not_exists(first_at, :at), updated_at = :at"
        " ADD reasons :reason",
        names={"#type": "type"},
        values={":type": "suppression", ":at": at, ":reason": {reason}},
    )


def reasons(normalized_email: str) -> set[str]:
    """Why an address is suppressed; empty when it may be mailed."""
    item = store.get(keys.suppression(normalized_email))
    return set(item.get("reasons", [])) if item else set()


# The person's own choices: a verified opt-in (a confirmed double opt-in, a topic joined while
# signed in) lifts them. Anything else (bounce, complaint, a reason not recorded) is never
# lifted by the person.
SELF_SERVICE: frozenset[str] = frozenset({"unsubscribe", "erased"})


def only_self_service(found: Mapping[str, Any] | None) -> bool:
    """A suppression item the person's own opt-in may lift."""
    held = set(found.get("reasons") or []) if found else set()
    return bool(held) and held <= SELF_SERVICE


def blocks_requested_mail(found: Mapping[str, Any] | None) -> bool:
    """Whether mail the person asked for (a confirmation, a sign-in link) must not go out."""
    return found is not None and not only_self_service(found)


def lift(normalized_email: str) -> store.Delete:
    """A transaction write: the suppression goes when it holds only self-service reasons; any
    other fails the condition (and so cancels the opt-in that would have lifted it)."""
    return store.Delete(
        keys.suppression(normalized_email),
        condition="attribute_not_exists(pk)"
        " OR (size(reasons) = :one AND (contains(reasons, :u) OR contains(reasons, :e)))"
        " OR (size(reasons) = :two AND contains(reasons, :u) AND contains(reasons, :e))",
        values={":one": 1, ":two": 2, ":u": "unsubscribe", ":e": "erased"},
    )
