"""Event source keys: the API keys a site or a backend sends custom events with (`POST /events`).

Marketers create one per source (`POST /admin/event-keys`): its secret, `ecrm_ek_` and 32
random bytes (256 bits, base64url), is answered once and never stored; the item keeps its
SHA-256. A keyed or slow hash (HMAC, bcrypt) protects low-entropy secrets such as passwords
from guessing once a hash leaks; 256 random bits cannot be guessed from their SHA-256 either,
and a plain hash keeps the key check to one GetItem with no secret of our own to read (the
capture path reads none). The key's id is derived from that hash (`evk_` + its first 16 hex
digits), so checking a presented secret is a lookup through its hash: hash it, GetItem the id,
compare the whole hash in constant time (`hmac.compare_digest`). No table item, log line or
answer after the first holds the secret.

A key is scoped to events (`scope`): it opens `POST /events` and nothing else (the admin routes
take Cognito tokens only). Revoking (`DELETE /admin/event-keys/{id}`) marks the item; the key
check reads it consistently, so the next request with it is refused (401, the same answer as
an unknown key). `last_used_at` is written after an accepted request, at most once a minute
per key (a refused request writes nothing).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from ecrm.platform import clock, entropy, keys, listing, normalise, store
from ecrm.platform.errors import Busy, InvalidInput, NotFound, Unauthenticated

KIND = "eventkey"  # its listing (`keys.listing`)
SCOPE = "events"
PREFIX = "ecrm_ek_"
_SECRET = re.compile(r"ecrm_ek_[A-Za-z0-9_-]{43}")
ID_PATTERN = r"^evk_[0-9a-f]{16}$"
MAX_NAME = 100
_TOUCH_EVERY_SECONDS = 60
_REFUSED = "Send a valid event key (Authorization: Bearer <key>, or X-Api-Key)."


@dataclass(frozen=True)
class SourceKey:
    """A key that passed the check: which source sends."""

    id: str
    name: str
    last_used_at: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _id_of(digest: str) -> str:
    return f"evk_{digest[:16]}"


def view(item: dict[str, Any]) -> dict[str, Any]:
    """A key as marketers read it: never its hash, and its secret only in `create`'s answer."""
    return {
        "id": item["id"],
        "name": item["name"],
        "hint": item["hint"],
        "scope": item["scope"],
        "created_at": item["created_at"],
        "created_by": item.get("created_by"),
        "last_used_at": item.get("last_used_at"),
        "revoked": bool(item.get("revoked_at")),
        "revoked_at": item.get("revoked_at"),
        "revoked_by": item.get("revoked_by"),
    }


def requested_name(body: dict[str, Any]) -> str:
    """The name a creation's body (`{"name"}`, nothing else) gives the source, cleaned."""
    problems = {field: "Not a field of an event key." for field in body if field != "name"}
    raw = body.get("name")
    name = normalise.clean_text(raw) if isinstance(raw, str) else ""
    if not 1 <= len(name) <= MAX_NAME:
        problems["name"] = f"A name of 1 to {MAX_NAME} characters: where the events come from."
    if problems:
        raise InvalidInput("The key needs attention.", problems)
    return name


def create(name: str, by: str, *, now: float | None = None) -> dict[str, Any]:
    """A new key for the source `name` (`requested_name`): its view with the secret (`key`),
    shown this once."""
    at = clock.iso(clock.now() if now is None else now)
    for _ in range(3):  # another key's id is a 2^-64 chance: draw again
        secret = PREFIX + entropy.token_urlsafe(32)
        digest = _digest(secret)
        key_id = _id_of(digest)
        item = {
            **keys.event_key(key_id),
            **keys.listing(KIND, f"{at}#{key_id}"),
            "type": "event_key",
            "id": key_id,
            "name": name,
            "hint": secret[: len(PREFIX) + 4],  # recognisable in a list, 24 of 256 bits
            "scope": SCOPE,
            "secret_hash": digest,
            "created_at": at,
            "created_by": by,
        }
        try:
            store.write(store.Put(item, condition="attribute_not_exists(pk)"))
        except store.ConditionFailed:
            continue
        return {**view(item), "key": secret}
    raise Busy()


def page(cursor: str | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """Keys newest first, revoked ones too (a page of the listing, and its cursor)."""
    items, next_cursor = listing.page(KIND, limit=limit, cursor=cursor, newest_first=True)
    return [view(i) for i in items], next_cursor


def get(key_id: str) -> dict[str, Any]:
    item = store.get(keys.event_key(key_id))
    if item is None:
        raise NotFound("There is no such event key.")
    return view(item)


def revoke(key_id: str, by: str, *, now: float | None = None) -> dict[str, Any]:
    """Refuse the key from now on (the first revocation's time and author stay)."""
    at = clock.iso(clock.now() if now is None else now)
    try:
        item = store.write(
            store.Update(
                keys.event_key(key_id),
                "SET revoked_at = if_not_exists(revoked_at, :at),"
                " revoked_by = if_not_exists(revoked_by, :by)",
                condition="attribute_exists(pk)",
                values={":at": at, ":by": by},
            )
        )
    except store.ConditionFailed:
        raise NotFound("There is no such event key.") from None
    return view(item)


def presented(authorization: str | None, api_key: str | None) -> str | None:
    """The secret a request carries: `Authorization: Bearer <key>`, else `X-Api-Key`."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return api_key.strip() if api_key else None


def authenticate(secret: str | None) -> SourceKey:
    """The source a presented secret belongs to, or `Unauthenticated` (401): missing, not a
    key's shape, unknown, revoked or of another scope all answer alike."""
    if not secret or not _SECRET.fullmatch(secret):
        raise Unauthenticated(_REFUSED)
    digest = _digest(secret)
    item = store.get(keys.event_key(_id_of(digest)))  # consistent: a revocation holds at once
    if (
        item is None
        or item.get("revoked_at")
        or item.get("scope") != SCOPE
        or not hmac.compare_digest(str(item.get("secret_hash", "")), digest)
    ):
        raise Unauthenticated(_REFUSED)
    return SourceKey(str(item["id"]), str(item["name"]), item.get("last_used_at"))


def used(source: SourceKey, *, now: float | None = None) -> None:
    """Note that the key's request was accepted (`last_used_at`), at most once a minute: a busy
    source does not write on every request, and a refused request writes nothing."""
    now = clock.now() if now is None else now
    stale = clock.iso(now - _TOUCH_EVERY_SECONDS)
    if (source.last_used_at or "") >= stale:
        return
    # Another request of this minute wrote it, the key went, or a throttle: next time, then.
    with contextlib.suppress(store.ConditionFailed, Busy):
        store.write(
            store.Update(
                keys.event_key(source.id),
                "SET last_used_at = :now",
                condition="attribute_exists(pk) AND"
                " (attribute_not_exists(last_used_at) OR last_used_at < :stale)",
                values={":now": clock.iso(now), ":stale": stale},
            )
        )
