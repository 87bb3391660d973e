"""One delivery: a queued message (`fanout.messages`) POSTed to its endpoint, signed.

In order: the endpoint, read consistently (deleted, disabled or no longer taking the type: the
message is dropped); the delivered marker (a delivery the endpoint answered 2xx to already is
not posted again); the URL checked again and its name resolved and checked (`destinations`);
the POST to the checked address (`transport`); the attempt recorded on the endpoint; on a 2xx
the marker (`WHDELIVERED#<delivery id>`, 7 days).

Anything else raises `Failed` and the queue redelivers the message later (the worker sets its
visibility to `backoff(attempt)`), up to the queue's `maxReceiveCount`, then the dead-letter
queue. At least once: a crash after the POST and before the marker posts it again, with the
same `Ecrm-Delivery-Id` (receivers deduplicate on it, docs/design/webhooks.md).
"""

from __future__ import annotations

import json
from typing import Any

from ecrm.platform import clock, keys, store
from ecrm.webhooks import destinations, endpoints, signing, transport

MARK_SECONDS = 7 * 24 * 3600
USER_AGENT = "ecrm-webhooks/1"


class Failed(Exception):
    """The endpoint did not take the delivery (its reason, no secret or body in it)."""


def backoff(attempt: int) -> int:
    """Seconds before the next attempt after attempt `attempt` (1, 2...): 30 s doubling, at most
    an hour (8 attempts span about 2 hours)."""
    return int(min(30 * 2 ** max(attempt - 1, 0), 3600))


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def deliver(raw: str, attempt: int, *, now: float | None = None) -> str:
    """Deliver one message: "delivered", "duplicate" or "dropped", else `Failed`."""
    message = json.loads(raw)
    delivery_id, webhook_id, event = message["delivery_id"], message["webhook_id"], message["event"]
    hook = store.get(keys.webhook(webhook_id))
    if not hook or not hook.get("enabled", True) or event["type"] not in hook.get("events", ()):
        return "dropped"
    if store.get(keys.webhook_delivered(delivery_id)):
        return "duplicate"
    now = clock.now() if now is None else now
    try:
        target, addresses = destinations.check(hook["url"])
    except destinations.Refused as refused:
        endpoints.record_attempt(webhook_id, delivery_id, None, f"refused: {refused}", now)
        raise Failed(f"refused: {refused}") from None
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.header(endpoints.live_secrets(hook, now), body, int(now)),
        "Ecrm-Delivery-Id": delivery_id,
        "Ecrm-Event-Type": str(event["type"]),
        "Ecrm-Attempt": str(attempt),
    }
    try:
        answer = transport.post(target, addresses[0], headers, body)
    except OSError as error:
        reason = f"no answer: {type(error).__name__}"
        endpoints.record_attempt(webhook_id, delivery_id, None, reason, now)
        raise Failed(reason) from None
    if not 200 <= answer.status < 300:
        reason = "redirect not followed" if 300 <= answer.status < 400 else "not a 2xx"
        endpoints.record_attempt(webhook_id, delivery_id, answer.status, reason, now)
        raise Failed(f"{answer.status}: {reason}")
    endpoints.record_attempt(webhook_id, delivery_id, answer.status, None, now)
    mark = {
        **keys.webhook_delivered(delivery_id),
        "type": "webhook_delivered",
        "webhook_id": webhook_id,
        "expires_at": int(now) + MARK_SECONDS,
    }
    store.write(store.Put(mark))
    return "delivered"
