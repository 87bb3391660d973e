"""The contacts' date index: one item per contact and date value (`keys.contact_date`:
`CONTACT#<id>` / `DATE#<field>`, gsi1 `DATEON#<field>#<MM-DD>` / `<YYYY>#<id>`), so that a
journey's date entry finds the contacts whose birthday (or renewal) falls on a day with a Query
of gsi1, never a Scan (`on_day`).

It is kept from the table's stream (AutomationsFunction takes the contact items' records:
`follow`), not where a field is written: a contact's fields are written in many places
(capture, confirmation, the preference center, imports, a journey's update step) and often
with `if_not_exists`, which does not say what it wrote, while a record's old and new images say
exactly which dates changed. The rules it keeps:

- a value is indexed when it is a date as `normalise.date` leaves it (`normalise.iso_date`),
  whatever its field's type: no profile schema read, no cached schema to be stale; a journey
  enters only on a `date` field of the schema, whose values always have that shape;
- a date set or changed is a Put (the gsi1 entry moves with it), with the contact checked in
  the same transaction (it exists and is no alias): a record handled after the contact was
  erased writes nothing back; a date cleared is a Delete;
- a contact removed (erasure), or an item no longer a contact: every `DATE#` item of its
  partition goes (one Query; erasure deletes the partition too, this is its sweep);
- a redelivered record writes the same values again: one item's records come in order, so the
  index ends as the item's last image says.

The index may lag the contact by the stream's delay (seconds), or keep a value whose record was
given up on (AutomationsDLQ): `on_day` reads the contacts it finds and keeps only those whose
field still holds that day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecrm.contacts.records import FIELD_PREFIX
from ecrm.platform import keys, normalise, store

PAGE = 100  # index entries a page (one Query, one BatchGetItem)
_MAX_WRITES = 99  # a transaction's 100, with the contact's check


def is_profile(image: Mapping[str, Any]) -> bool:
    """Whether a stream image is a contact's profile item (a contact, or an alias)."""
    return str(image.get("pk", "")).startswith("CONTACT#") and image.get("sk") == keys.PROFILE


def _is_contact(image: Mapping[str, Any] | None) -> bool:
    if not image:
        return False
    return image.get("type", "contact") == "contact" and not image.get("alias_of")


def dates_of(image: Mapping[str, Any] | None) -> dict[str, str]:
    """The contact's dates by field name (nothing for an alias or a removed item)."""
    if image is None or not _is_contact(image):
        return {}
    return {
        name.removeprefix(FIELD_PREFIX): value
        for name, value in image.items()
        if name.startswith(FIELD_PREFIX) and normalise.iso_date(value)
    }


def follow(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> int:
    """Bring a contact's date items in line with one change of its profile item (a stream
    record's images); returns how many items were written or deleted."""
    image = new or old
    if not image or not is_profile(image):
        return 0
    contact_id = keys.contact_id_of(str(image["pk"]))
    if _is_contact(new):
        return _apply(contact_id, dates_of(old), dates_of(new))
    if _is_contact(old):
        return _drop_all(contact_id)
    return 0


def _apply(contact_id: str, before: Mapping[str, str], after: Mapping[str, str]) -> int:
    writes: list[store.Write] = [
        store.Delete(keys.contact_date(contact_id, field)) for field in before if field not in after
    ]
    writes += [
        store.Put(_item(contact_id, field, on))
        for field, on in sorted(after.items())
        if before.get(field) != on
    ]
    done = 0
    for start in range(0, len(writes), _MAX_WRITES):
        chunk = writes[start : start + _MAX_WRITES]
        try:
            store.transact([_still_a_contact(contact_id), *chunk])
        except store.TransactionCancelled:
            return done  # erased (or made an alias) since: its removal's record cleans up
        done += len(chunk)
    return done


def _item(contact_id: str, field: str, on: str) -> dict[str, Any]:
    return {
        **keys.contact_date(contact_id, field, on),
        "type": "contact_date",
        "field": field,
        "on": on,
    }


def _still_a_contact(contact_id: str) -> store.Check:
    return store.Check(
        keys.contact(contact_id), "attribute_exists(pk) AND attribute_not_exists(alias_of)"
    )


def _drop_all(contact_id: str) -> int:
    partition = keys.contact(contact_id)["pk"]
    found = list(store.query_all(partition, sk_prefix=keys.DATES, consistent=True))
    for start in range(0, len(found), _MAX_WRITES + 1):
        chunk = found[start : start + _MAX_WRITES + 1]
        store.transact([store.Delete({"pk": i["pk"], "sk": i["sk"]}) for i in chunk])
    return len(found)


def on_day(
    field: str,
    month_day: str,
    *,
    year: int | None = None,
    up_to_year: int | None = None,
    start: Mapping[str, Any] | None = None,
    limit: int | None = None,
) -> tuple[list[str], dict[str, Any] | None]:
    """One page of the contacts whose `field` falls on `month_day` (`MM-DD`): of `year` only
    (a one-off date), or of every year up to `up_to_year` (an anniversary); and the next
    page's start. Each contact is read (one BatchGetItem) and kept only while it is a contact
    whose field still holds that day (the index follows the stream: it may lag)."""
    partition, limit = keys.date_partition(field, month_day), limit or PAGE
    if year is not None:
        entries, next_start = store.query(
            partition, index="gsi1", sk_prefix=f"{year:04d}#", start=start, limit=limit
        )
    else:
        below = f"{(up_to_year or normalise.LAST_YEAR) + 1:04d}#"
        entries, next_start = store.query(
            partition, index="gsi1", sk_below=below, start=start, limit=limit
        )
    held = {
        keys.contact_id_of(str(e["pk"])): f"{str(e['gsi1sk'])[:4]}-{month_day}" for e in entries
    }
    return _current(field, held), next_start


def _current(field: str, held: Mapping[str, str]) -> list[str]:
    if not held:
        return []
    wanted: Sequence[Mapping[str, str]] = [keys.contact(c) for c in held]
    attribute = FIELD_PREFIX + field
    found = store.batch_get(wanted, consistent=False, attributes=("type", "alias_of", attribute))
    kept = []
    for contact_id, on in held.items():
        contact = found.get((keys.contact(contact_id)["pk"], keys.PROFILE))
        if contact is not None and _is_contact(contact) and contact.get(attribute) == on:
            kept.append(contact_id)
    return kept
