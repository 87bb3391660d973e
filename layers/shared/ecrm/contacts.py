"""The contact: one item per person (id derived from the normalised email) holding status,
profile fields, topics and counters. Updated in place by every submission, never duplicated."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ecrm import keys, store

if TYPE_CHECKING:  # type-only: the mail function reads statuses without loading form code
    from ecrm.forms import Form
    from ecrm.submission import ValidSubmission

FIELD_PREFIX = "f_"  # profile fields live beside system attributes, so they are namespaced
# After a verified email change the contact keeps its id; the new address's id holds an alias.
ALIAS = "contact_alias"
_NOT_ALIAS = "attribute_not_exists(alias_of)"


class ContactStatus(StrEnum):
    PENDING = "pending"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


def upsert_from_submission(
    contact_id: str, sub: ValidSubmission, form: Form, at: str, *, resubscribe: bool = False
) -> store.Update:
    """One UpdateItem that creates the contact or merges a returning one.

    Double opt-in: a new contact starts `pending`; a subscribed one stays subscribed; a pending
    one stays pending. An unsubscribed contact on a double opt-in form fails the condition, and
    the caller retries with `resubscribe=True` (back to pending): the rare path pays a second call
    so the common paths stay at one. Single opt-in forms subscribe whoever consented just now.

    The item at this id may be an alias (the address was changed to this one): the condition
    fails, the item comes back with the cancellation (`return_old`), and the caller retries on
    `alias_of`. The stored address is never overwritten: it differs from the submitted one only
    for the address a contact moved away from, which keeps leading to that contact.
    """
    names: dict[str, str] = {"#status": "status", "#type": "type", "#email": "email"}
    values: dict[str, Any] = {
        ":now": at,
        ":email": sub.email,
        ":id": contact_id,
        ":contact": "contact",
        ":one": 1,
        ":form": form.id,
        ":source": {"form_id": form.id, **sub.tracking},
    }
    sets = [
        "#type = :contact",
        "contact_id = :id",
        "#email = if_not_exists(#email, :email)",
        "created_at = if_not_exists(created_at, :now)",
        "updated_at = :now",
        "last_form_id = :form",
        "first_source = if_not_exists(first_source, :source)",
    ]
    condition = _NOT_ALIAS
    if not form.double_opt_in:
        values[":status"] = ContactStatus.SUBSCRIBED.value
        sets.append("#status = :status")
    elif resubscribe:
        values |= {":status": ContactStatus.PENDING.value, ":was": ContactStatus.UNSUBSCRIBED.value}
        sets.append("#status = :status")
        condition = f"#status = :was AND {_NOT_ALIAS}"
    else:
        values |= {
            ":pending": ContactStatus.PENDING.value,
            ":subscribed": ContactStatus.SUBSCRIBED.value,
        }
        sets.append("#status = if_not_exists(#status, :pending)")
        was = "attribute_not_exists(#status) OR #status IN (:pending, :subscribed)"
        condition = f"({was}) AND {_NOT_ALIAS}"
    for index, (name, value) in enumerate(sorted(sub.profile.items())):
        names[f"#f{index}"] = FIELD_PREFIX + name
        values[f":f{index}"] = value
        sets.append(f"#f{index} = :f{index}")
    adds = ["submissions :one", "version :one"]
    if form.topics:
        values[":topics"] = set(form.topics)
        adds.append("topics :topics")
    return store.Update(
        keys.contact(contact_id),
        f"SET {', '.join(sets)} ADD {', '.join(adds)}",
        condition=condition,
        names=names,
        values=values,
        return_old=True,
    )


def create_from_submission(
    contact_id: str, sub: ValidSubmission, form: Form, at: str, source: dict[str, Any]
) -> store.Put:
    """The contact `upsert_from_submission` would create for an address that has none, as one
    Put that lands only if there is none (a bulk import: an existing contact, maybe one who
    unsubscribed, is never changed). `source` is its `first_source`."""
    status = ContactStatus.PENDING if form.double_opt_in else ContactStatus.SUBSCRIBED
    item: dict[str, Any] = {
        **keys.contact(contact_id),
        "type": "contact",
        "contact_id": contact_id,
        "email": sub.email,
        "created_at": at,
        "updated_at": at,
        "last_form_id": form.id,
        "first_source": source,
        "status": status.value,
        "submissions": 1,
        "version": 1,
        **{FIELD_PREFIX + name: value for name, value in sub.profile.items()},
    }
    if form.topics:
        item["topics"] = set(form.topics)
    return store.Put(item, condition="attribute_not_exists(pk)")


def new_membership(contact_id: str, topic: str, at: str) -> store.Put:
    """`join_topic` for a contact created in the same transaction (a Put: no item to merge)."""
    item = {**keys.topic_membership(contact_id, topic), "type": "topic_membership", "topic": topic}
    return store.Put({**item, "joined_at": at}, condition="attribute_not_exists(pk)")


def join_topic(contact_id: str, topic: str, at: str) -> store.Update:
    """Membership item in the sparse, sharded topic index (audiences without a Scan)."""
    key = keys.topic_membership(contact_id, topic)
    return store.Update(
        {"pk": key["pk"], "sk": key["sk"]},
        "SET #type = :type, topic = :topic, gsi1pk = :gpk, gsi1sk = :gsk,"
        " joined_at = if_not_exists(joined_at, :now)",
        names={"#type": "type"},
        values={
            ":type": "topic_membership",
            ":topic": topic,
            ":gpk": key["gsi1pk"],
            ":gsk": key["gsi1sk"],
            ":now": at,
        },
    )


def profile_of(item: dict[str, Any]) -> dict[str, Any]:
    """Profile fields of a contact item, without their storage prefix."""
    return {k.removeprefix(FIELD_PREFIX): v for k, v in item.items() if k.startswith(FIELD_PREFIX)}


def by_address(normalized_email: str) -> dict[str, Any] | None:
    """The contact an address leads to: its own item, or (after a verified address change) the
    contact its alias item names. A contact's first address keeps leading to it."""
    found = store.get(keys.contact(keys.contact_id_for(normalized_email)))
    if found and found.get("alias_of"):
        found = store.get(keys.contact(str(found["alias_of"])))
    return found
