"""Keys of what comes in and goes out in bulk or by machine: contact imports, event sources'
API keys (`ecrm.events`), webhooks out (`ecrm.webhooks`)."""

from __future__ import annotations

IMPORT_BAD_ROWS_PREFIX = "BAD#"


def contacts_import(import_id: str) -> dict[str, str]:
    """A bulk import: its settings, state and checkpoint (byte offset, line, counters)."""
    return {"pk": f"IMPORT#{import_id}", "sk": "IMPORT"}


def import_bad_rows(import_id: str, first_line: int) -> dict[str, str]:
    """The bad rows of one committed chunk of an import, sorted by their first line."""
    return {"pk": f"IMPORT#{import_id}", "sk": f"{IMPORT_BAD_ROWS_PREFIX}{first_line:010d}"}


def import_partition(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def event_key(key_id: str) -> dict[str, str]:
    """An event source's API key: its name, the SHA-256 of its secret (the id is derived from
    it, `ecrm.events.api_keys`), when it was made, last used and revoked."""
    return {"pk": f"EVENTKEY#{key_id}", "sk": "EVENTKEY"}


def webhook(webhook_id: str) -> dict[str, str]:
    """A marketer's webhook endpoint: its URL, the event types it takes, its sealed signing
    secret (KMS) and its last delivery's status."""
    return {"pk": f"WEBHOOK#{webhook_id}", "sk": "WEBHOOK"}


def webhook_delivered(delivery_id: str) -> dict[str, str]:
    """A delivery the endpoint answered 2xx to: a redelivered message is not posted again
    (TTL 7 days)."""
    return {"pk": f"WHDELIVERED#{delivery_id}", "sk": "MARK"}
