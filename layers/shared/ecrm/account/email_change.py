"""Changing the address, re-verified: `PATCH /account {"email": ...}` only records the new
address as pending (and an `email_change_requested` interaction, which mails a link to it);
the change takes effect when that link's token (purpose `email_change`, single-use) comes back.

The contact keeps its id (derived from the first address, a pseudonym). The new address's id
gets an alias item (`alias_of`), so capture and sign-in find the contact from the new address,
and no second contact can appear there: the alias is created only if that id is free, else the
change is refused (that address belongs to another subscription). An alias of a former address
is removed; the first address's id is the contact itself and keeps leading to it.

Asking for a change mails a stranger's inbox, so it is rate limited like sign-in links: per
account and per target inbox (`Limit.per_address`), counters in the request's transaction.
Both count every request alike, whoever owns the address, so a 429 says nothing about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from ecrm.contacts import suppression
from ecrm.contacts.records import ALIAS
from ecrm.platform import clock, keys, store, tokens
from ecrm.platform.errors import Conflict, InvalidToken, RateLimited
from ecrm.platform.ratelimit import Limit
from ecrm.platform.settings import settings

logger = Logger(service="account", child=True)


@dataclass(frozen=True)
class EmailChanged:
    contact_id: str


def limits(contact_id: str, new_address: str) -> tuple[Limit, Limit]:
    """What one change request counts: the account asking, and the inbox it would mail."""
    cfg = settings()
    return (
        Limit(
            "email_change_account",
            contact_id,
            cfg.email_changes_per_account,
            cfg.rate_window_seconds,
        ),
        Limit.per_address(
            "email_change_to", new_address, cfg.email_changes_per_address, cfg.rate_window_seconds
        ),
    )


def limited(failed: list[bool], counted: tuple[Limit, ...], now: float) -> RateLimited | None:
    """The refusal when a counter of `counted` failed (`failed` aligned with it)."""
    for hit, limit in zip(failed, counted, strict=True):
        if hit:
            return RateLimited(
                "Too many address changes asked for; please wait.", limit.retry_after(now)
            )
    return None


def _alias(contact_id: str, address: str, at: str) -> store.Put:
    return store.Put(
        {
            **keys.contact(keys.contact_id_for(address)),
            "type": ALIAS,
            "alias_of": contact_id,
            "created_at": at,
        },
        condition="attribute_not_exists(pk) OR alias_of = :me",
        values={":me": contact_id},
    )


def _drop_alias(contact_id: str, address: str) -> store.Delete:
    return store.Delete(
        keys.contact(keys.contact_id_for(address)),
        condition="attribute_not_exists(pk) OR alias_of = :me",
        values={":me": contact_id},
    )


def confirm(token: str, *, now: float | None = None) -> EmailChanged:
    """Make the pending address the contact's address, once."""
    claims = tokens.verify(token, "email_change")
    now = clock.now() if now is None else now
    at = clock.iso(now)
    contact_id, change_id = claims.subject, claims.ref
    contact = store.get(keys.contact(contact_id))
    if not contact or contact.get("pending_email_ref") != change_id:
        raise InvalidToken("This link was already used, or a newer one replaced it.")
    old, new = str(contact["email"]), str(contact["pending_email"])
    event_id = f"email_{claims.jti}"
    writes: list[store.Write] = [
        store.Put(
            {
                **keys.used_token(claims.jti),
                "type": "used_token",
                "expires_at": (claims.expires_at or int(now)) + 86400,
            },
            condition="attribute_not_exists(pk)",
        ),
        store.Update(
            keys.contact(contact_id),
            "SET #email = :new, updated_at = :at"
            " REMOVE pending_email, pending_email_ref, pending_email_at ADD version :one",
            condition="pending_email_ref = :ref AND #email = :old",
            names={"#email": "email"},
            values={":new": new, ":old": old, ":ref": change_id, ":at": at, ":one": 1},
        ),
        store.Put(
            {
                **keys.interaction(contact_id, at, event_id),
                "type": "email_changed",
                "contact_id": contact_id,
                "event_id": event_id,
                "at": at,
            },
            condition="attribute_not_exists(pk)",
        ),
        # The new address was just proven: the person's own former opt-outs of it no longer
        # apply (the contact's status still does); a bounce or complaint refuses the change.
        suppression.lift(new),
    ]
    alias_at = None
    if keys.contact_id_for(new) != contact_id:
        alias_at = len(writes)
        writes.append(_alias(contact_id, new, at))
    if keys.contact_id_for(old) != contact_id:
        writes.append(_drop_alias(contact_id, old))
    try:
        store.transact(writes)
    except store.TransactionCancelled as cancelled:
        if cancelled.failed[0] or cancelled.failed[1]:
            raise InvalidToken("This link was already used, or a newer one replaced it.") from None
        if alias_at is not None and cancelled.failed[alias_at]:
            raise Conflict(
                "This address already belongs to another subscription. Sign in with it to "
                "manage that one, or erase it first."
            ) from None
        raise Conflict(
            "This address cannot receive our mail (it bounced or reported spam)."
        ) from None
    logger.info("address changed", extra={"event_id": event_id})
    return EmailChanged(contact_id)
