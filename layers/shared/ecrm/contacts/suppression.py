"""Suppression: addresses that are never mailed again (hard bounces, complaints, unsubscribes
from everything, erasure). Every send checks it. The item holds no address, in one of two forms:

- `keys.suppression` (a plain hash) while a contact holds the address: the contact item has the
  address anyway, and the plain form is read first;
- `keys.erased_suppression` (a keyed hash, `ecrm.platform.pseudonyms`) once no contact does: erasure
  moves the item there, and a bounce or complaint about an address without a contact is
  written there, so the table no longer leads from the address to the person. Sends read
  both forms (a single opt-in form may make the address a contact again); when the address
  comes back through a confirmation mail or a new address of an account, `recall` moves it
  back to the plain form, which the confirmation can then lift.

Plain items of addresses erased before the keyed form existed stay plain (their address is
unknown, so they cannot be rekeyed) and are honoured as they are: every reader reads the plain
form first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from ecrm.platform import keys, pseudonyms, store

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
    """Why an address is suppressed (either form); empty when it may be mailed."""
    item = store.get(keys.suppression(normalized_email)) or store.get(_erased(normalized_email))
    return set(item.get("reasons", [])) if item else set()


def keys_of(normalized_email: str) -> list[dict[str, str]]:
    """Both keys an address's suppression may have: for a BatchGetItem of a send."""
    return [keys.suppression(normalized_email), _erased(normalized_email)]


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


# --- the keyed form: addresses no contact holds ---------------------------------------------
_LABEL = "suppression"


def _erased(normalized_email: str) -> dict[str, str]:
    return keys.erased_suppression(pseudonyms.of(_LABEL, normalized_email))


def _merge(key: dict[str, str], held: set[str], first_at: str, at: str) -> store.Update:
    return store.Update(
        key,
        "SET #type = :type, first_at = if_not_exists(first_at, :first), updated_at = :at"
        " ADD reasons :reasons",
        names={"#type": "type"},
        values={":type": "suppression", ":first": first_at, ":at": at, ":reasons": held},
    )


def _moved_from(key: dict[str, str], found: Mapping[str, Any] | None) -> store.Delete:
    """Delete the item a move read, only as it was read (a reason added since cancels)."""
    if found is None:
        return store.Delete(key, condition="attribute_not_exists(pk)")
    return store.Delete(
        key, condition="updated_at = :seen", values={":seen": found.get("updated_at")}
    )


def for_erasure(normalized_email: str, at: str) -> list[store.Write]:
    """Writes of an erasure's transaction: the address's suppression moves to the keyed form,
    with `erased` added to what it held."""
    plain = keys.suppression(normalized_email)
    found = store.get(plain)
    held = {*(found or {}).get("reasons", []), "erased"}
    first_at = str((found or {}).get("first_at") or at)
    return [_moved_from(plain, found), _merge(_erased(normalized_email), held, first_at, at)]


def suppress_without_contact(normalized_email: str, reason: Reason, at: str) -> store.Update:
    """`suppress` for an address no contact holds (a bounce after the erasure): keyed form."""
    return _merge(_erased(normalized_email), {reason}, at, at)


def recall(normalized_email: str, at: str) -> dict[str, Any] | None:
    """The suppression of an address a contact holds again (or is about to): the plain item,
    after moving the keyed item of an erased address back to it. None when not suppressed.
    Both forms are read in one BatchGetItem (a confirmation mail's cold start waits for it)."""
    plain, erased = keys.suppression(normalized_email), _erased(normalized_email)
    found = store.batch_get([plain, erased])
    if (held_plain := found.get(_pair(plain))) is not None:
        return held_plain
    kept = found.get(_pair(erased))
    if kept is None:
        return None
    held = set(kept.get("reasons") or [])
    first_at = str(kept.get("first_at") or at)
    with contextlib.suppress(store.TransactionCancelled):  # moved meanwhile: read it again
        store.transact([_merge(plain, held, first_at, at), _moved_from(erased, kept)])
    return store.get(plain) or dict(kept)


def suppressed_among(addresses: Iterable[str]) -> set[str]:
    """Which of these addresses are suppressed, in either form (for addresses that may have
    been erased: an import). BatchGetItem, keys only."""
    wanted = lookups(addresses)
    keys_ = [{"pk": pk, "sk": sk} for pk, sk in wanted]
    found = store.batch_get(keys_, attributes=["pk"]) if keys_ else {}
    return {wanted[pair] for pair in found}


def lookups(addresses: Iterable[str]) -> dict[tuple[str, str], str]:
    """The items whose presence says an address is suppressed (either form), (pk, sk) to the
    address: `suppressed_among` reads them, or a caller with reads of its own adds them to its
    BatchGetItem (an import's chunk)."""
    wanted = {}
    for address in set(addresses):
        wanted[_pair(keys.suppression(address))] = address
        wanted[_pair(_erased(address))] = address
    return wanted


def _pair(key: Mapping[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]
