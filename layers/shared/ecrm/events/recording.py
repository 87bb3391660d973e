"""Recording custom events (`POST /events`): each event about a known contact becomes an
interaction in the contact's partition (`type: custom_event`, the shape every interaction has:
the console's timeline, the export and erasure read it like the others; scoring, automations
and trends see it on the table's stream), once, whatever the retries.

Per request, in this order:

1. the key's rate counter (`ratelimit.Limit`, the events of the request counted): over the
   limit is a 429 with nothing written;
2. the contacts the events name, one BatchGetItem (and one more for addresses a contact moved
   to: their alias names the contact);
3. one transaction: per event with an id (its `id`, or the request's `Idempotency-Key` and its
   position) an idempotency marker (24 h); per known contact an update that holds only while
   the item is a contact (an erasure that deleted it meanwhile cancels it: nothing is written
   into an erased partition) and notes when it last did each event (`ev_<name>`, at most
   `MAX_EVENT_NAMES` names a contact, which a segment's activity condition reads); per event
   of a known contact its interaction. A retried event cancels on its marker and is dropped;
   the rest is written again.

An address with no contact, and an erased one, gets nothing but its event's marker: no contact
is made (a key holder cannot create people), and the answer is the same as for a known one
(`{"accepted": n}`), so the API does not tell whether an address is a contact. What stays
observable is time: a known contact costs one more write in the same round trip.

The counter is written before the transaction, not in it (as a submission's are): every request
of a busy source would otherwise meet on one counter item in concurrent transactions
(`TransactionConflict`, a 503). So a request that fails after it (a 503) has been counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.contacts.records import EVENT_PREFIX
from ecrm.events import api_keys
from ecrm.events.api_keys import SourceKey
from ecrm.events.payload import Event
from ecrm.platform import clock, entropy, keys, store
from ecrm.platform.errors import Busy, RateLimited
from ecrm.platform.idempotency import Marker
from ecrm.platform.ratelimit import Limit
from ecrm.platform.settings import settings

logger = Logger(service="events", child=True)

CUSTOM_EVENT = "custom_event"  # the interaction's type
IDEMPOTENCY_SECONDS = 24 * 3600
MAX_EVENT_NAMES = 50  # `ev_<name>` attributes a contact keeps (a hostile source cannot grow it)
_ATTEMPTS = 3


@dataclass(frozen=True)
class Receipt:
    accepted: int  # what the source is told: every event of the request
    recorded: int  # interactions written now (for metrics and logs, never answered)

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted}


@dataclass(eq=False)  # compared by identity: which event of this request
class _Planned:
    event: Event
    event_id: str
    marker: Marker | None
    contact_id: str | None  # None: no contact (unknown, erased): nothing but the marker


Contacts = dict[str, dict[str, Any]]  # contact id -> its item as read


def record(
    source: SourceKey,
    events: Sequence[Event],
    idempotency_key: str | None = None,
    *,
    now: float | None = None,
) -> Receipt:
    now = clock.now() if now is None else now
    cfg = settings()
    limit = Limit("event_key", source.id, cfg.events_per_key, cfg.rate_window_seconds)
    try:
        store.write(limit.count(now, hits=len(events)))
    except store.ConditionFailed:
        raise RateLimited(
            "Too many events for this key; please wait.", limit.retry_after(now)
        ) from None
    named, contacts = _contacts(events)
    planned = _plan(source, events, named, idempotency_key, now)
    recorded = _write(source, planned, contacts, now)
    api_keys.used(source, now=now)
    logger.info("events received", extra={"event_key": source.id, "events": len(events)})
    return Receipt(len(events), recorded)


def _plan(
    source: SourceKey,
    events: Sequence[Event],
    named: Sequence[str | None],
    idempotency_key: str | None,
    now: float,
) -> list[_Planned]:
    planned: list[_Planned] = []
    seen: set[str] = set()
    for index, event in enumerate(events):
        once = event.client_id or (f"{idempotency_key}#{index}" if idempotency_key else None)
        if once is not None and once in seen:
            continue  # the same event twice in one request: once
        marker = None
        if once is not None:
            seen.add(once)
            marker = Marker(f"events:{source.id}", once, int(now) + IDEMPOTENCY_SECONDS)
            digest = hashlib.sha256(f"{source.id}\x1f{once}".encode()).hexdigest()
            event_id = f"ev_{digest[:20]}"
        else:
            event_id = f"ev_{entropy.token_hex(10)}"
        planned.append(_Planned(event, event_id, marker, named[index]))
    return planned


def _contacts(events: Sequence[Event]) -> tuple[list[str | None], Contacts]:
    """The contact each event is about (None: there is none), following an address's alias,
    and the items read."""
    asked = [e.contact_id or keys.contact_id_for(str(e.email)) for e in events]
    found = store.batch_get([keys.contact(i) for i in asked])
    moved = [str(i["alias_of"]) for i in found.values() if i.get("alias_of")]
    if moved:
        found |= store.batch_get([keys.contact(i) for i in moved])
    by_id = {keys.contact_id_of(pk): item for (pk, _), item in found.items()}
    named: list[str | None] = []
    for first in asked:
        contact_id, item = first, by_id.get(first) or {}
        if item.get("alias_of"):
            contact_id = str(item["alias_of"])
            item = by_id.get(contact_id) or {}
        is_contact = bool(item) and item.get("type", "contact") == "contact"
        named.append(contact_id if is_contact and not item.get("alias_of") else None)
    return named, {c: by_id[c] for c in named if c}


def _write(source: SourceKey, planned: list[_Planned], contacts: Contacts, now: float) -> int:
    """One transaction; a retried event (its marker) or a contact gone meanwhile is dropped and
    the rest written again. Returns how many interactions were written."""
    for _ in range(_ATTEMPTS):
        writes, roles = _writes(source, planned, contacts, now)
        if not writes:
            return 0
        try:
            store.transact(writes)
        except store.TransactionCancelled as cancelled:
            _drop(planned, [r for r, failed in zip(roles, cancelled.failed, strict=True) if failed])
            continue
        return sum(1 for p in planned if p.contact_id)
    raise Busy()


def _drop(planned: list[_Planned], failed: Iterable[tuple[str, Any]]) -> None:
    for role, what in failed:
        if role == "contact":  # erased (or never a contact) since it was read: nothing for it
            for p in planned:
                if p.contact_id == what:
                    p.contact_id = None
        elif what in planned:  # its marker: a retry; its interaction: written already
            planned.remove(what)


def _writes(
    source: SourceKey, planned: list[_Planned], contacts: Contacts, now: float
) -> tuple[list[store.Write], list[tuple[str, Any]]]:
    at = clock.iso(now)
    writes: list[store.Write] = []
    roles: list[tuple[str, Any]] = []
    for p in planned:
        if p.marker is not None:
            writes.append(p.marker.claim({"event_id": p.event_id}, now))
            roles.append(("marker", p))
    by_contact: dict[str, list[_Planned]] = {}
    for p in planned:
        if p.contact_id:
            by_contact.setdefault(p.contact_id, []).append(p)
    for contact_id, mine in by_contact.items():
        names = [p.event.name for p in mine]
        writes.append(_still_a_contact(contact_id, contacts[contact_id], names, at))
        roles.append(("contact", contact_id))
        for p in mine:
            writes.append(store.Put(_interaction(source, p, at), "attribute_not_exists(pk)"))
            roles.append(("interaction", p))
    return writes, roles


def _still_a_contact(
    contact_id: str, item: dict[str, Any], names: list[str], at: str
) -> store.Update | store.Check:
    """Holds while the item is a contact; notes when it last did each of `names`, for as many
    names as a contact may keep."""
    kept = {k for k in item if k.startswith(EVENT_PREFIX)}
    attributes: list[str] = []
    for name in dict.fromkeys(names):
        attribute = EVENT_PREFIX + name
        if attribute in kept or len(kept) + len(attributes) < MAX_EVENT_NAMES:
            attributes.append(attribute)
    condition = "attribute_exists(pk) AND attribute_not_exists(alias_of)"
    key = keys.contact(contact_id)
    if not attributes:
        return store.Check(key, condition)
    names_ = {f"#e{i}": a for i, a in enumerate(attributes)}
    sets = ", ".join(f"{n} = :at" for n in names_)
    return store.Update(key, f"SET {sets}", condition=condition, names=names_, values={":at": at})


def _interaction(source: SourceKey, p: _Planned, at: str) -> dict[str, Any]:
    assert p.contact_id is not None
    event = p.event
    return {
        **keys.interaction(p.contact_id, at, p.event_id),
        "type": CUSTOM_EVENT,
        "contact_id": p.contact_id,
        "event_id": p.event_id,
        "at": at,
        "name": event.name,
        "properties": event.properties or None,
        "occurred_at": event.occurred_at,
        "source": source.id,
        "source_name": source.name,
        "source_event_id": event.client_id,
    }
