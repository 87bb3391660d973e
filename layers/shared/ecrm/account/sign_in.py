"""Signing in without a password: a magic link mailed to the address on file, exchanged once
for a short-lived session token (a bearer token the preference page keeps in sessionStorage).

- Asking for a link answers the same whatever the address, and the rate limits count every
  request alike, so neither the answer nor a 429 tells whether an address is on file. The
  request writes a `sign_in_requested` interaction (with the two rate counters, in one
  transaction) only for a contact on file; the mail goes out from the stream
  (`ecrm.account.mails`), like the confirmation mail.
- The link's token (purpose `sign_in`, 15 minutes) is exchanged once: its used-marker is
  written in the same transaction as the `signed_in` interaction.
- A session token (purpose `session`) names the contact and expires; nothing is stored for
  it. Tokens of other purposes never pass for one (the purpose is part of the signature).
- Sessions end with the data: the link and the session carry the contact's `created_at` (the
  `ref` of both tokens), checked when the link is exchanged and on every use of the session.
  A contact erased and created again at the same address (an import, a form) is another
  contact: a link or session of the first one opens nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from ecrm.platform import clock, keys, normalise, store, tokens
from ecrm.platform.errors import (
    InvalidInput,
    InvalidToken,
    RateLimited,
    TokenExpired,
    Unauthenticated,
)
from ecrm.platform.ratelimit import Limit
from ecrm.platform.settings import settings

logger = Logger(service="account", child=True)

LINK_REQUESTED = (
    "If this address is on file, a sign-in link is on its way. It works once, within 15 minutes."
)


@dataclass(frozen=True)
class Session:
    token: str
    expires_at: int
    contact_id: str


def _on_file(contact_id: str, email: str) -> store.Check:
    """The contact exists under this id with this very address (not an alias, not a former
    address); when it fails, the item comes back so an alias can be followed."""
    return store.Check(
        keys.contact(contact_id),
        "attribute_exists(pk) AND attribute_not_exists(alias_of) AND #email = :email",
        names={"#email": "email"},
        values={":email": email},
        return_old=True,
    )


def _limits(email: str, ip: str) -> tuple[Limit, Limit]:
    cfg = settings()
    return (
        Limit("sign_in_ip", ip, cfg.sign_in_links_per_ip, cfg.rate_window_seconds),
        Limit.per_address(
            "sign_in_email", email, cfg.sign_in_links_per_email, cfg.rate_window_seconds
        ),
    )


def _raise_if_limited(failed: list[bool], limits: tuple[Limit, Limit], now: float) -> None:
    for hit, limit in zip(failed, limits, strict=True):
        if hit:
            raise RateLimited(
                "Too many sign-in links asked for; please wait.", limit.retry_after(now)
            )


def request_link(raw_email: str, ip: str, *, now: float | None = None) -> None:
    """Queue a magic link for the address if it is on file; the same outcome otherwise."""
    now = clock.now() if now is None else now
    try:
        email = normalise.email(raw_email)
    except normalise.NotNormalisable as error:
        raise InvalidInput("Some fields need attention.", {"email": str(error)}) from None
    limits = _limits(email, ip)
    counters: list[store.Write] = [limit.count(now) for limit in limits]
    contact_id = keys.contact_id_for(email)
    for _ in range(2):  # a second round only to follow an alias (the address was changed)
        at = clock.iso(now)
        event_id = f"signin_{secrets.token_hex(10)}"
        interaction = {
            **keys.interaction(contact_id, at, event_id),
            "type": "sign_in_requested",
            "contact_id": contact_id,
            "event_id": event_id,
            "at": at,
        }
        writes = [
            _on_file(contact_id, email),
            store.Put(interaction, condition="attribute_not_exists(pk)"),
            *counters,
        ]
        try:
            store.transact(writes)
        except store.TransactionCancelled as cancelled:
            _raise_if_limited(cancelled.failed[2:], limits, now)
            found = cancelled.old_items[0] or {}
            if found.get("alias_of"):
                contact_id = str(found["alias_of"])
                continue
            break
        logger.info("sign-in link requested", extra={"event_id": event_id})
        return
    # Not on file: count the request all the same, so a 429 says nothing about the address.
    try:
        store.transact(counters)
    except store.TransactionCancelled as cancelled:
        _raise_if_limited(cancelled.failed, limits, now)


def _created_as(contact_id: str, created_at: str) -> store.Check:
    """The contact the link was mailed to is still there: not erased and made again."""
    on_file = "attribute_exists(pk) AND attribute_not_exists(alias_of)"
    if not created_at:  # a contact stored before contacts had a creation time
        return store.Check(
            keys.contact(contact_id), f"{on_file} AND attribute_not_exists(created_at)"
        )
    return store.Check(
        keys.contact(contact_id),
        f"{on_file} AND created_at = :created",
        values={":created": created_at},
    )


def start_session(token: str, *, now: float | None = None) -> Session:
    """Exchange a magic-link token, once, for a session token."""
    claims = tokens.verify(token, "sign_in")
    now = clock.now() if now is None else now
    at = clock.iso(now)
    contact_id = claims.subject
    event_id = f"signin_{claims.jti}"
    writes: list[store.Write] = [
        store.Put(
            {
                **keys.used_token(claims.jti),
                "type": "used_token",
                "expires_at": (claims.expires_at or int(now)) + 86400,
            },
            condition="attribute_not_exists(pk)",
        ),
        _created_as(contact_id, claims.ref),
        store.Put(
            {
                **keys.interaction(contact_id, at, event_id),
                "type": "signed_in",
                "contact_id": contact_id,
                "event_id": event_id,
                "at": at,
            },
            condition="attribute_not_exists(pk)",
        ),
    ]
    try:
        store.transact(writes)
    except store.TransactionCancelled as cancelled:
        if cancelled.failed[0]:
            raise InvalidToken(
                "This sign-in link was already used. Please ask for a new one."
            ) from None
        raise InvalidToken("There is no account for this link any more.") from None
    ttl = settings().session_ttl_seconds
    logger.info("signed in", extra={"event_id": event_id})
    session = tokens.issue("session", contact_id, claims.ref, ttl_seconds=ttl)
    return Session(session, int(now) + ttl, contact_id)


def session_subject(authorization: str | None) -> str:
    """The contact id a request's `Authorization: Bearer <session>` names, or 401."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Please sign in: ask for a sign-in link.")
    try:
        claims = tokens.verify(token.strip(), "session")
    except TokenExpired:
        raise InvalidToken("Your session has expired. Please sign in again.") from None
    except InvalidToken:
        raise InvalidToken("Your session is not valid. Please sign in again.") from None
    contact = store.get(keys.contact(claims.subject))
    if contact is None or str(contact.get("created_at") or "") != claims.ref:
        raise Unauthenticated("There is no account here any more.")
    return claims.subject
