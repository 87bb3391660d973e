"""What a signed-in customer sees of themselves on the preference center (`GET /account`):
profile, interests, topics (those the schema offers and any others they receive), their latest
consent records, and the contact's version as a strong ETag (the `If-Match` of a change,
`ecrm.account.preferences`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.contacts import profile_view, records
from ecrm.platform import keys, store
from ecrm.platform.errors import Unauthenticated

CONSENTS_SHOWN = 50


def contact_of(contact_id: str) -> dict[str, Any]:
    """The signed-in contact's item; 401 when it is gone (erased while the session lived)."""
    contact = store.get(keys.contact(contact_id))
    if contact is None or contact.get("alias_of"):
        raise Unauthenticated("There is no account here any more.")
    return contact


def etag(version: int) -> str:
    return f'"{version}"'


def _consent_view(item: Mapping[str, Any]) -> dict[str, Any]:
    shown = (
        "given_at",
        "confirmed_at",
        "confirmed_by",
        "form_id",
        "source",
        "topics",
        "awaiting_confirmation",
        "consent_version",
        "text",
    )
    return {name: item[name] for name in shown if name in item}


def view(contact_id: str) -> tuple[dict[str, Any], int]:
    """Everything the page shows, and the version to send back as If-Match."""
    contact = contact_of(contact_id)
    schema = profile_view.load()
    consents, _ = store.query(
        keys.contact(contact_id)["pk"],
        sk_prefix="CONSENT#",
        limit=CONSENTS_SHOWN,
        newest_first=True,
    )
    values = records.profile_of(contact)
    editable = {f.name for f in schema.profile + schema.interests}
    receiving = records.active_topics(contact)
    offered = [t.id for t in schema.topics]
    topics = [{**t.to_json(), "subscribed": t.id in receiving} for t in schema.topics]
    topics += [
        {"id": t, "label": t, "description": "", "subscribed": True}
        for t in sorted(receiving - set(offered))
    ]
    version = int(contact.get("version", 0))
    document = {
        "email": contact["email"],
        "pending_email": contact.get("pending_email"),
        "status": contact.get("status"),
        "profile": {f.name: values.get(f.name) for f in schema.profile},
        "interests": {f.name: values.get(f.name) for f in schema.interests},
        "other": {k: v for k, v in values.items() if k not in editable},
        "topics": topics,
        "consents": [_consent_view(c) for c in consents],
        "created_at": contact.get("created_at"),
        "updated_at": contact.get("updated_at"),
        "version": version,
        "schema": schema.public(),
    }
    return document, version
