"""From an address to its contact, as a marketer reads it (`GET /admin/contacts?email=`): the
contact (id, status, topics, profile), its newest consent records and interactions.

The address is read as a submission reads it (`ecrm.platform.normalise.email`), so
` Ann@Example.com` finds the contact `ann@example.com` made, and an address changed by its
owner still leads to the contact (`records.by_address`). Then two Queries of the contact's own
partition, never a Scan. The score, stage and their explanation are the scoring API's
(`GET /admin/contacts/{id}/score`).
"""

from __future__ import annotations

from typing import Any

from ecrm.contacts import records
from ecrm.platform import keys, normalise, store
from ecrm.platform.errors import InvalidInput, NotFound

SHOWN = 20  # newest consent records and interactions
# Storage keys, and what the request that wrote a record carried about its sender's machine or
# a profile typed by someone who has not proven the address yet: not a marketer's business.
_HIDDEN = {"pk", "sk", "gsi1pk", "gsi1sk", "contact_id", "ip", "user_agent", "pending_profile"}


def by_email(address: str) -> dict[str, Any]:
    try:
        normalized = normalise.email(address)
    except normalise.NotNormalisable as error:
        raise InvalidInput("This is not an email address.", {"email": str(error)}) from error
    contact = records.by_address(normalized)
    if contact is None or contact.get("type", "contact") != "contact":
        raise NotFound("No contact has this address.")
    contact_id = str(contact.get("contact_id") or keys.contact_id_of(contact["pk"]))
    partition = keys.contact(contact_id)["pk"]
    consents = _newest(partition, keys.CONSENTS)
    interactions = _newest(partition, keys.INTERACTIONS)
    return {
        "contact_id": contact_id,
        "email": contact.get("email"),
        "status": contact.get("status"),
        "topics": sorted(contact.get("topics") or []),
        "receiving": sorted(records.active_topics(contact)),
        "profile": records.profile_of(contact),
        "created_at": contact.get("created_at"),
        "updated_at": contact.get("updated_at"),
        "consents": [_public(c) for c in consents],
        "interactions": [_public(i) for i in interactions],
    }


def _newest(partition: str, prefix: str) -> list[dict[str, Any]]:
    found, _ = store.query(partition, sk_prefix=prefix, limit=SHOWN, newest_first=True)
    return found


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _HIDDEN}
