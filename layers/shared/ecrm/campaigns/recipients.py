"""Which of a batch's recipients may be mailed now: each send checks the contact's status and
topic (`segments.conditions.sendable`) and the suppression list (both forms,
`ecrm.contacts.suppression`) at send time, not at planning time. Who may not is written to the
ledger as `skipped` with the reason; a recipient whose contact is gone (erased since planning) is
counted as skipped with nothing written that would name them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.campaigns import content as campaign_content
from ecrm.contacts import suppression
from ecrm.mail import send_ledger
from ecrm.platform import keys, store
from ecrm.segments.conditions import sendable


def eligible(
    batch: send_ledger.Batch, todo: list[send_ledger.Todo], content: campaign_content.Content
) -> list[send_ledger.Todo]:
    """Read contacts and suppressions (one BatchGetItem per 50 recipients; a second one for the
    addresses the plan did not know or that changed since), skip who may not be mailed."""
    planned = dict(batch.recipients)
    attributes = ["type", "status", "topics", "email"]
    attributes += [f"f_{name}" for name in content.template.contact_fields if name != "email"]
    wanted = [keys.contact(t.contact_id) for t in todo]
    for entry in todo:
        if planned[entry.contact_id]:
            wanted += suppression.keys_of(planned[entry.contact_id])
    found = store.batch_get(wanted, attributes=attributes)
    unknown = []  # addresses not planned, or changed since planning: their suppression too
    for entry in todo:
        entry.contact = found.get(_pair(keys.contact(entry.contact_id)))
        if entry.contact and entry.contact.get("email") != planned[entry.contact_id]:
            unknown.append(str(entry.contact.get("email") or ""))
    if unknown:
        again = [key for a in unknown if a for key in suppression.keys_of(a)]
        found |= store.batch_get(again, attributes=["pk"])
    ready = []
    for entry in todo:
        reason = _reason(entry.contact, content, found)
        if reason is None:
            ready.append(entry)
            continue
        # A contact gone (erased since planning) is counted and named nowhere: no ledger item.
        if reason == "gone" or send_ledger.take(batch, entry, send_ledger.SKIPPED, reason=reason):
            batch.outcomes[entry.contact_id] = send_ledger.SKIPPED
        else:
            batch.waiting.add(entry.contact_id)
    return ready


def _reason(
    contact: Mapping[str, Any] | None,
    content: campaign_content.Content,
    found: Mapping[tuple[str, str], Any],
) -> str | None:
    """Why the contact may not be mailed now (None: it may)."""
    if contact is None:
        return "gone"
    if not sendable(contact, content.topic):
        return "not_mailable"
    if any(_pair(k) in found for k in suppression.keys_of(str(contact["email"]))):
        return "suppressed"
    return None


def _pair(key: Mapping[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]
