"""The contact: one item per person (id derived from the normalised email) holding status,
profile fields, topics and counters. Updated in place by every submission, never duplicated."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ecrm.platform import keys, store

if TYPE_CHECKING:  # type-only: the mail function reads statuses without loading form code
    from ecrm.contacts.form_view import FormView as Form
    from ecrm.contacts.submission import ValidSubmission
    from ecrm.contacts.subscription import Outcome

FIELD_PREFIX = "f_"  # profile fields live beside system attributes, so they are namespaced
# When the contact last did each custom event (`ev_<name>`, ecrm.events.recording): what a
# segment's activity condition on an event reads, with the rest of the contact item.
EVENT_PREFIX = "ev_"
# After a verified email change the contact keeps its id; the new address's id holds an alias.
ALIAS = "contact_alias"
_NOT_ALIAS = "attribute_not_exists(alias_of)"


class ContactStatus(StrEnum):
    PENDING = "pending"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


def from_submission(
    contact_id: str,
    sub: ValidSubmission,
    form: Form,
    outcome: Outcome,
    at: str,
    *,
    version: Any = None,
) -> store.Update:
    """One UpdateItem that creates the contact or merges a returning one, as `outcome` says.

    `version`: the plan was made against the contact as read (`subscription.informed`), so the
    condition holds the item to that version. When a condition fails (an alias left by an
    address change, a contact not receiving mail under a single opt-in plan, a change in
    between), the item comes back with the cancellation (`return_old`) for the next plan."""
    update = _Expression(at, form, outcome)
    update.set("email", sub.email, fill_only=True)
    update.set("created_at", at, fill_only=True)
    update.set("first_source", {"form_id": form.id, **sub.tracking}, fill_only=True)
    condition = _NOT_ALIAS
    if version is not None:
        update.values[":version"] = version
        condition = f"version = :version AND {condition}"
    elif outcome.only_if_receiving:
        update.names["#status"] = "status"
        update.values[":receiving"] = ContactStatus.SUBSCRIBED.value
        condition = f"(attribute_not_exists(#status) OR #status = :receiving) AND {condition}"
    return update.build(contact_id, condition)


class _Expression:
    """The UpdateItem a submission's `Outcome` makes of a contact."""

    def __init__(self, at: str, form: Form, outcome: Outcome) -> None:
        self.names: dict[str, str] = {"#type": "type"}
        self.values: dict[str, Any] = {":contact": "contact", ":one": 1}
        self.sets = ["#type = :contact", "contact_id = :id"]
        self.adds = ["submissions :one", "version :one"]
        self.removes: list[str] = []
        self.set("updated_at", at)
        self.set("last_form_id", form.id)
        if outcome.status:
            self.set("status", outcome.status.value)
        elif outcome.status_if_new:
            self.set("status", outcome.status_if_new.value, fill_only=True)
        for name, value in sorted(outcome.profile.items()):
            self.set(FIELD_PREFIX + name, value, fill_only=True)
        if outcome.replace_topics and outcome.join:
            self.set("topics", set(outcome.join))
        elif outcome.replace_topics:
            self.removes.append("topics")
        elif outcome.join:
            self.add("topics", set(outcome.join))
        if outcome.pending:
            self.add("pending_topics", set(outcome.pending))

    def set(self, attribute: str, value: Any, *, fill_only: bool = False) -> None:
        n = len(self.names)
        self.names[f"#a{n}"] = attribute
        self.values[f":a{n}"] = value
        target = f"if_not_exists(#a{n}, :a{n})" if fill_only else f":a{n}"
        self.sets.append(f"#a{n} = {target}")

    def add(self, attribute: str, value: Any) -> None:
        n = len(self.names)
        self.names[f"#a{n}"] = attribute
        self.values[f":a{n}"] = value
        self.adds.append(f"#a{n} :a{n}")

    def build(self, contact_id: str, condition: str) -> store.Update:
        self.values[":id"] = contact_id
        expression = f"SET {', '.join(self.sets)} ADD {', '.join(self.adds)}"
        if self.removes:
            expression += f" REMOVE {', '.join(self.removes)}"
        return store.Update(
            keys.contact(contact_id),
            expression,
            condition=condition,
            names=self.names,
            values=self.values,
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


def join_topic(contact_id: str, topic: str, at: str, *, unless_left: bool = False) -> store.Update:
    """Membership item in the sparse, sharded topic index (audiences without a Scan).

    `unless_left`: fail if the person left the topic (a single opt-in form does not bring them
    back; their own confirmation does, and clears `left_at`)."""
    key = keys.topic_membership(contact_id, topic)
    return store.Update(
        {"pk": key["pk"], "sk": key["sk"]},
        "SET #type = :type, topic = :topic, gsi1pk = :gpk, gsi1sk = :gsk,"
        " joined_at = if_not_exists(joined_at, :now) REMOVE left_at",
        condition="attribute_not_exists(left_at)" if unless_left else None,
        names={"#type": "type"},
        values={
            ":type": "topic_membership",
            ":topic": topic,
            ":gpk": key["gsi1pk"],
            ":gsk": key["gsi1sk"],
            ":now": at,
        },
    )


def leave_topic_index(contact_id: str, topic: str, at: str) -> store.Update:
    """The membership item stays (with `left_at`) but leaves the topic index: no audience."""
    key = keys.topic_membership(contact_id, topic)
    return store.Update(
        {"pk": key["pk"], "sk": key["sk"]},
        "SET #type = :type, topic = :topic, left_at = :at REMOVE gsi1pk, gsi1sk",
        names={"#type": "type"},
        values={":type": "topic_membership", ":topic": topic, ":at": at},
    )


def active_topics(contact: Mapping[str, Any]) -> set[str]:
    """The topics a contact receives: none unless subscribed (an unsubscribed contact keeps the
    set it had on the item, and one stored before consent was per topic may hold unconfirmed
    ones, but gets none of them)."""
    if contact.get("status") != ContactStatus.SUBSCRIBED:
        return set()
    return set(contact.get("topics") or [])


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
