"""The preference center's account: what a signed-in customer changes (`PATCH /account`) about
themselves; what they see (`GET /account`) and the ETag both use are `ecrm.account.view`.

A change is one transaction guarded by the contact's `version` (the ETag the page read: a stale
`If-Match` is 412, none is 428) and by the profile schema's version. It writes what changed on
the contact, the topic memberships, a consent record for every topic joined, and interactions
that say what changed without the values of personal fields (`preferences_updated`,
`unsubscribed`, `email_change_requested`), so scoring and the timeline see it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.account import email_change, preference_changes
from ecrm.account.preference_changes import Changes
from ecrm.account.view import contact_of, etag
from ecrm.contacts import profile_view, records, suppression
from ecrm.contacts.profile_view import ProfileView
from ecrm.contacts.records import FIELD_PREFIX, ContactStatus
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import (
    Busy,
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
)

logger = Logger(service="account", child=True)


@dataclass(frozen=True)
class Requester:
    """Who sends the change (IP and user agent go to consent records only)."""

    ip: str
    user_agent: str = ""


@dataclass(frozen=True)
class Updated:
    version: int
    changed: list[str]
    email_change_pending: bool
    unsubscribed_all: bool = False  # this change stopped all mail


def _matches(if_match: str, version: int) -> bool:
    """RFC 9110 If-Match: `*` or a list of strong entity tags (ours are strong)."""
    tags = {tag.strip() for tag in if_match.split(",")}
    return "*" in tags or etag(version) in tags


def _contact_update(
    contact: Mapping[str, Any], changes: Changes, at: str, change_id: str
) -> store.Update:
    names: dict[str, str] = {}
    values: dict[str, Any] = {":at": at, ":one": 1, ":seen": int(contact.get("version", 0))}
    sets, removes = ["updated_at = :at"], []
    for index, (name, value) in enumerate(sorted(changes.values.items())):
        names[f"#f{index}"] = FIELD_PREFIX + name
        values[f":f{index}"] = value
        sets.append(f"#f{index} = :f{index}")
    for index, name in enumerate(changes.removed):
        names[f"#r{index}"] = FIELD_PREFIX + name
        removes.append(f"#r{index}")
    if changes.topics:
        values[":topics"] = set(changes.topics)
        sets.append("topics = :topics")
    elif changes.topics is not None:
        removes.append("topics")
    if changes.joined and contact.get("status") != ContactStatus.SUBSCRIBED:
        names["#status"] = "status"
        values[":subscribed"] = ContactStatus.SUBSCRIBED.value
        sets += ["#status = :subscribed", "confirmed_at = :at"]
    if changes.unsubscribe_all:
        names["#status"] = "status"
        values[":unsubscribed"] = ContactStatus.UNSUBSCRIBED.value
        sets += ["#status = :unsubscribed", "unsubscribed_at = :at"]
    if changes.new_email:
        values |= {":pending": changes.new_email, ":ref": change_id}
        sets += ["pending_email = :pending", "pending_email_ref = :ref", "pending_email_at = :at"]
    elif changes.cancel_email_change:
        removes += ["pending_email", "pending_email_ref", "pending_email_at"]
    expression = f"SET {', '.join(sets)}" + (f" REMOVE {', '.join(removes)}" if removes else "")
    # Joined while signed in: no longer waiting for a mailed confirmation.
    if waited := set(changes.joined) & set(contact.get("pending_topics") or []):
        values[":waited"] = waited
        expression += " DELETE pending_topics :waited"
    return store.Update(
        keys.contact(contact["contact_id"]),
        expression + " ADD version :one",
        condition="attribute_exists(pk) AND version = :seen",
        names=names,
        values=values,
    )


def _consent(
    contact_id: str, schema: ProfileView, joined: list[str], who: Requester, at: str
) -> store.Put:
    assert schema.consent is not None  # a schema with topics has its consent text
    event_id = f"pref_{secrets.token_hex(10)}"
    return store.Put(
        {
            **keys.consent(contact_id, at, event_id),
            "type": "consent",
            "source": "preference_center",
            "topics": joined,
            "consent_version": schema.consent.version,
            "text": schema.consent.text,
            "text_hash": hashlib.sha256(schema.consent.text.encode()).hexdigest(),
            "ip": who.ip,
            "user_agent": who.user_agent[:512],
            "given_at": at,
            # Signed in through a link mailed to the address: verified like a double opt-in.
            "confirmed_at": at,
            "double_opt_in": False,
            "verified_by": "sign_in",
        },
        condition="attribute_not_exists(pk)",
    )


def _interaction(contact_id: str, at: str, kind: str, **details: Any) -> store.Put:
    event_id = f"pref_{secrets.token_hex(10)}"
    item = {
        **keys.interaction(contact_id, at, event_id),
        "type": kind,
        "contact_id": contact_id,
        "event_id": event_id,
        "at": at,
        **{k: v for k, v in details.items() if v not in (None, [], {})},
    }
    return store.Put(item, condition="attribute_not_exists(pk)")


def _interest_values(changes: Changes) -> dict[str, Any]:
    """Interest values are the company's own choices: scoring may read them. Profile values
    (names, phones, free text) never go into an interaction."""
    return {
        name: changes.values.get(name)
        for name in changes.fields()
        if name in changes.interest_names
    }


def _writes(
    contact: Mapping[str, Any], schema: ProfileView, changes: Changes, who: Requester, at: str
) -> tuple[list[store.Write], int | None]:
    """The transaction (schema check first, the contact second) and where the suppression lift
    sits in it, if any."""
    contact_id = str(contact["contact_id"])
    change_id = secrets.token_hex(8)
    writes: list[store.Write] = [
        profile_view.version_check(schema),
        _contact_update(contact, changes, at, change_id),
    ]
    lift_at = None
    if changes.topics is not None:
        stored = set(contact.get("topics") or [])
        writes += [records.join_topic(contact_id, topic, at) for topic in changes.joined]
        writes += [
            records.leave_topic_index(contact_id, t, at) for t in sorted(stored - changes.topics)
        ]
    if changes.joined:
        writes.append(_consent(contact_id, schema, changes.joined, who, at))
        lift_at = len(writes)
        writes.append(suppression.lift(contact["email"]))
    if changes.fields() or changes.topics is not None:
        writes.append(
            _interaction(
                contact_id,
                at,
                "preferences_updated",
                fields=changes.fields(),
                interests=_interest_values(changes),
                topics_joined=changes.joined,
                topics_left=changes.left,
            )
        )
    if changes.unsubscribe_all:
        writes.append(suppression.suppress(contact["email"], "unsubscribe", at))
        writes.append(_interaction(contact_id, at, "unsubscribed", source="preference_center"))
    if changes.new_email:
        writes.append(_interaction(contact_id, at, "email_change_requested", change_id=change_id))
    return writes, lift_at


def _changed_sections(changes: Changes) -> list[str]:
    sections = [
        ("profile", any(n not in changes.interest_names for n in changes.fields())),
        ("interests", any(n in changes.interest_names for n in changes.fields())),
        ("topics", changes.topics is not None or changes.unsubscribe_all),
        ("email", bool(changes.new_email or changes.cancel_email_change)),
    ]
    return [name for name, changed in sections if changed]


def update(
    contact_id: str,
    if_match: str | None,
    raw: Mapping[str, Any],
    who: Requester,
    *,
    now: float | None = None,
) -> Updated:
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag of the account you read.")
    now = clock.now() if now is None else now
    at = clock.iso(now)
    for attempt in range(3):
        schema = profile_view.load(fresh=attempt > 0)
        contact = contact_of(contact_id)
        version = int(contact.get("version", 0))
        if not _matches(if_match, version):
            raise PreconditionFailed("Your details changed meanwhile: reload them and try again.")
        changes = preference_changes.read(schema, raw, contact)
        pending = bool(contact.get("pending_email"))
        if not changes:
            return Updated(version, [], pending)
        writes, lift_at = _writes(contact, schema, changes, who, at)
        # A new address is mailed a link: counted per account and per target inbox.
        counted = email_change.limits(contact_id, changes.new_email) if changes.new_email else ()
        first_counter = len(writes)
        writes += [limit.count(now) for limit in counted]
        try:
            store.transact(writes)
        except store.TransactionCancelled as cancelled:
            if cancelled.failed[0]:
                continue  # the schema changed since we cached it: read it again
            refusal = email_change.limited(cancelled.failed[first_counter:], counted, now)
            if refusal:
                raise refusal from None
            if cancelled.failed[1]:
                raise PreconditionFailed(
                    "Your details changed meanwhile: reload them and try again."
                ) from None
            if lift_at is not None and cancelled.failed[lift_at]:
                raise Conflict(
                    "This address cannot receive our mail (it bounced or reported spam); "
                    "please contact us to restore it."
                ) from None
            raise Busy() from None
        sections = _changed_sections(changes)
        logger.info("preferences updated", extra={"changed": sections})
        email_pending = bool(changes.new_email) or (pending and not changes.cancel_email_change)
        return Updated(version + 1, sections, email_pending, changes.unsubscribe_all)
    raise Busy()
