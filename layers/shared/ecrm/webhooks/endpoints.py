"""Webhook endpoints marketers register (`/admin/webhooks…`): an https URL (checked against
SSRF, `destinations`), the event types it takes, a signing secret answered once (derived from
a random salt the item keeps and the stack's webhook key, `sealing`: the table never holds
it), and the status of its last delivery attempt (`record_attempt`, written by the worker).

Rotating answers a new secret once; the previous one still signs for `PREVIOUS_SECONDS` (the
header carries both) so a receiver can switch without losing deliveries. Deleting removes the
item: messages already queued for it are dropped by the worker.
"""

from __future__ import annotations

from typing import Any

from ecrm.platform import clock, entropy, keys, listing, normalise, store
from ecrm.platform.errors import Busy, InvalidInput, NotFound
from ecrm.webhooks import destinations, sealing

KIND = "webhook"
PREFIX = sealing.PREFIX
ID_PATTERN = r"^whk_[0-9a-f]{16}$"
MAX_ENDPOINTS = 25  # the fan-out reads them all for every batch of events
MAX_DESCRIPTION = 200
PREVIOUS_SECONDS = 24 * 3600
# Event types (the `type` of a delivery) and the interactions they come from (`fanout`).
EVENT_TYPES = (
    "form.submitted",
    "contact.confirmed",
    "contact.unsubscribed",
    "contact.stage_changed",
    "automation.mail_delivered",
    "event.custom",
    "journey.step",
)
_FIELDS = {"url", "events", "description"}


def view(item: dict[str, Any]) -> dict[str, Any]:
    """An endpoint as marketers read it: never its secret (only its hint)."""
    return {
        "id": item["id"],
        "url": item["url"],
        "events": list(item["events"]),
        "description": item.get("description", ""),
        "enabled": bool(item.get("enabled", True)),
        "secret_hint": item["secret_hint"],
        "created_at": item["created_at"],
        "created_by": item.get("created_by"),
        "updated_at": item.get("updated_at"),
        "secret_rotated_at": item.get("rotated_at"),
        "last_attempt_at": item.get("last_attempt_at"),
        "last_status": item.get("last_status") or None,  # None: none yet, or no answer
        "last_error": item.get("last_error") or None,
        "last_delivery_id": item.get("last_delivery_id"),
        "last_success_at": item.get("last_success_at"),
        "failures_in_a_row": int(item.get("failures", 0)),
    }


def requested(body: dict[str, Any], *, update: bool = False) -> dict[str, Any]:
    """The fields a creation (`url`, `events`, `description`) or an update (also `enabled`)
    sets, checked (the URL against SSRF too), or `InvalidInput` naming each problem."""
    allowed = _FIELDS | ({"enabled"} if update else set())
    problems = {f: "Not a field of a webhook." for f in body if f not in allowed}
    fields: dict[str, Any] = {}
    try:
        destinations.check(body.get("url"))
        fields["url"] = body["url"]
    except destinations.Refused as refused:
        problems["url"] = str(refused)
    events = body.get("events")
    if (
        not isinstance(events, list)
        or not events
        or any(e not in EVENT_TYPES for e in events)
        or len(set(events)) != len(events)
    ):
        problems["events"] = "A list of distinct event types, of: " + ", ".join(EVENT_TYPES)
    else:
        fields["events"] = list(events)
    description = body.get("description", "")
    text = normalise.clean_text(description) if isinstance(description, str) else None
    if text is None or len(text) > MAX_DESCRIPTION:
        problems["description"] = f"A text of at most {MAX_DESCRIPTION} characters."
    else:
        fields["description"] = text
    if update:
        if not isinstance(body.get("enabled", True), bool):
            problems["enabled"] = "true or false."
        else:
            fields["enabled"] = body.get("enabled", True)
    if problems:
        raise InvalidInput("The webhook needs attention.", problems)
    return fields


def _salt() -> str:
    return entropy.token_bytes(32).hex()


def create(fields: dict[str, Any], by: str, *, now: float | None = None) -> dict[str, Any]:
    """A new endpoint: its view with its secret (`secret`), shown this once."""
    existing, _ = listing.page(KIND, limit=MAX_ENDPOINTS)
    if len(existing) >= MAX_ENDPOINTS:
        raise InvalidInput("Too many webhooks.", {"url": f"At most {MAX_ENDPOINTS} webhooks."})
    at = clock.iso(clock.now() if now is None else now)
    for _ in range(3):
        webhook_id = "whk_" + entropy.token_bytes(8).hex()
        salt = _salt()
        secret = sealing.secret(webhook_id, salt)
        item = {
            **keys.webhook(webhook_id),
            **keys.listing(KIND, f"{at}#{webhook_id}"),
            "type": "webhook",
            "id": webhook_id,
            **fields,
            "enabled": True,
            "secret_salt": salt,
            "secret_hint": secret[: len(PREFIX) + 4],
            "created_at": at,
            "created_by": by,
        }
        try:
            store.write(store.Put(item, condition="attribute_not_exists(pk)"))
        except store.ConditionFailed:
            continue
        return {**view(item), "secret": secret}
    raise Busy()


def page(cursor: str | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = listing.page(KIND, limit=limit, cursor=cursor, newest_first=True)
    return [view(i) for i in items], next_cursor


def load(webhook_id: str) -> dict[str, Any]:
    """The stored item (with its salts), or `NotFound`."""
    item = store.get(keys.webhook(webhook_id))
    if item is None:
        raise NotFound("There is no such webhook.")
    return item


def get(webhook_id: str) -> dict[str, Any]:
    return view(load(webhook_id))


def update(webhook_id: str, fields: dict[str, Any], by: str) -> dict[str, Any]:
    names = {f"#{k}": k for k in fields}
    values: dict[str, Any] = {f":{k}": v for k, v in fields.items()}
    values |= {":at": clock.iso(clock.now()), ":by": by}
    sets = ", ".join(f"#{k} = :{k}" for k in fields)
    try:
        item = store.write(
            store.Update(
                keys.webhook(webhook_id),
                f"SET {sets}, updated_at = :at, updated_by = :by",
                condition="attribute_exists(pk)",
                names=names,
                values=values,
            )
        )
    except store.ConditionFailed:
        raise NotFound("There is no such webhook.") from None
    return view(item)


def rotate(webhook_id: str, by: str, *, now: float | None = None) -> dict[str, Any]:
    """A new secret, answered once; the previous one signs too for `PREVIOUS_SECONDS`."""
    now = clock.now() if now is None else now
    current = load(webhook_id)
    salt = _salt()
    secret = sealing.secret(webhook_id, salt)
    try:
        item = store.write(
            store.Update(
                keys.webhook(webhook_id),
                "SET secret_salt = :new, secret_hint = :hint, previous_salt = :old,"
                " previous_until = :until, rotated_at = :at, rotated_by = :by",
                condition="attribute_exists(pk) AND secret_salt = :old",
                values={
                    ":new": salt,
                    ":hint": secret[: len(PREFIX) + 4],
                    ":old": current["secret_salt"],
                    ":until": clock.iso(now + PREVIOUS_SECONDS),
                    ":at": clock.iso(now),
                    ":by": by,
                },
            )
        )
    except store.ConditionFailed:
        raise Busy() from None  # deleted or rotated meanwhile: try again
    return {**view(item), "secret": secret}


def delete(webhook_id: str) -> None:
    try:
        store.transact([store.Delete(keys.webhook(webhook_id), "attribute_exists(pk)")])
    except store.TransactionCancelled:
        raise NotFound("There is no such webhook.") from None


def live_secrets(item: dict[str, Any], now: float) -> list[str]:
    """The secrets a delivery is signed with: the current one, and the previous one for a day
    after a rotation."""
    found = [sealing.secret(item["id"], item["secret_salt"])]
    if item.get("previous_salt") and str(item.get("previous_until", "")) > clock.iso(now):
        found.append(sealing.secret(item["id"], item["previous_salt"]))
    return found


def record_attempt(
    webhook_id: str, delivery_id: str, status: int | None, error: str | None, at: float
) -> None:
    """The endpoint's last attempt, as the API and `ecrm webhooks show` read it."""
    ok = status is not None and 200 <= status < 300
    expression = (
        "SET last_attempt_at = :at, last_status = :status, last_error = :error,"
        " last_delivery_id = :delivery"
    )
    values: dict[str, Any] = {
        ":at": clock.iso(at),
        ":status": status or 0,  # 0: no answer (the store writes no null)
        ":error": error or "",
        ":delivery": delivery_id,
    }
    if ok:
        expression += ", last_success_at = :at, failures = :zero"
        values[":zero"] = 0
    else:
        expression += " ADD failures :one"
        values[":one"] = 1
    # Deleted meanwhile: nothing to record.
    try:
        store.write(
            store.Update(
                keys.webhook(webhook_id), expression, "attribute_exists(pk)", values=values
            )
        )
    except store.ConditionFailed:
        return
