"""From the table's stream to the delivery queue: each new interaction of a type webhooks
carry becomes an event (`event_of`), and one message per endpoint that takes its type.

Ids are derived, never drawn: the event's id from the interaction's key, a delivery's from the
event's and the endpoint's. A stream batch retried, a message sent twice or redelivered all
carry the same `delivery_id`, which the worker and the receiver deduplicate on.

The event is bounded whatever the item holds (items written by code paths that bound less
than `POST /events`): at most `MAX_DEPTH` levels, `MAX_ITEMS` entries per map or list, texts
of `MAX_TEXT` characters, and `MAX_EVENT_BYTES` of JSON in all, past which `data` keeps only
the contact and `truncated: true`. Addresses and other contact fields are not sent: `data`
names the contact by id (receivers look people up through the API).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ecrm.platform import aws, clock, listing
from ecrm.platform.settings import settings
from ecrm.webhooks import endpoints

MAX_DEPTH = 3
MAX_ITEMS = 50
MAX_TEXT = 1024
MAX_EVENT_BYTES = 16 * 1024
# interaction type -> webhook event type
TYPES = {
    "form_submitted": "form.submitted",
    "confirmed": "contact.confirmed",
    "unsubscribed": "contact.unsubscribed",
    "stage_changed": "contact.stage_changed",
    "email_delivered": "automation.mail_delivered",  # of an automation's mail only
    "custom_event": "event.custom",
    "journey_step": "journey.step",  # a journey's notify step that names `webhook`
}
# What `data` may carry of an interaction, beside `contact_id` (no address, IP or user agent).
_DATA = (
    "form_id",
    "topic",
    "topics",
    "from_stage",
    "to_stage",
    "stage",
    "automation_id",
    "message_id",
    "name",
    "properties",
    "source_event_id",
    "occurred_at",
    "journey_id",
    "journey_version",
    "step",
    "label",
)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def delivery_id(event_id: str, webhook_id: str) -> str:
    return "dlv_" + _digest(event_id, webhook_id)


def _bounded(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, Mapping):
        kept = list(value.items())[:MAX_ITEMS]
        return {str(k)[:100]: _bounded(v, depth + 1) for k, v in kept}
    if isinstance(value, list | tuple | set | frozenset):
        return [_bounded(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
    return str(value)[:MAX_TEXT]


def event_of(image: Mapping[str, Any]) -> dict[str, Any] | None:
    """The webhook event a new interaction is, or None (a type webhooks do not carry)."""
    kind = TYPES.get(str(image.get("type", "")))
    if kind is None or not str(image.get("sk", "")).startswith("EVENT#"):
        return None
    if kind == "automation.mail_delivered" and not image.get("automation_id"):
        return None  # a campaign's mail: not an automation step
    if kind == "journey.step" and "webhook" not in (image.get("to") or ()):
        return None  # a notify step for EventBridge only
    contact_id = str(image.get("contact_id") or str(image.get("pk", "")).removeprefix("CONTACT#"))
    data = {"contact_id": contact_id}
    data |= {k: _bounded(image[k], 1) for k in _DATA if image.get(k) is not None}
    event = {
        "id": "evt_" + _digest(str(image.get("pk")), str(image.get("sk"))),
        "type": kind,
        "created_at": str(image.get("at") or str(image["sk"]).split("#")[1]),
        "data": data,
    }
    if len(json.dumps(event, separators=(",", ":"), default=str)) > MAX_EVENT_BYTES:
        event["data"] = {"contact_id": contact_id, "truncated": True}
    return event


def subscribers() -> list[dict[str, Any]]:
    """The enabled endpoints (at most `endpoints.MAX_ENDPOINTS`: one Query, one BatchGetItem)."""
    found, _ = listing.page(endpoints.KIND, limit=endpoints.MAX_ENDPOINTS)
    return [item for item in found if item.get("enabled", True)]


def messages(event: Mapping[str, Any], hooks: Iterable[Mapping[str, Any]]) -> list[str]:
    """One message body per endpoint that takes the event's type."""
    return [
        json.dumps(
            {
                "delivery_id": delivery_id(str(event["id"]), str(hook["id"])),
                "webhook_id": hook["id"],
                "event": event,
                "queued_at": clock.iso(clock.now()),
            },
            separators=(",", ":"),
            default=str,
        )
        for hook in hooks
        if event["type"] in hook.get("events", ())
    ]


def enqueue(bodies: list[str]) -> None:
    """Send the messages, ten a call; raise if any was not taken (the stream retries the
    record, and the ids make the resent ones the same deliveries)."""
    url = settings().webhook_queue_url
    if not url:
        raise RuntimeError("WEBHOOK_QUEUE_URL is not set")
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        answer = aws.sqs().send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(chunk)],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"{len(answer['Failed'])} webhook messages were not queued")
