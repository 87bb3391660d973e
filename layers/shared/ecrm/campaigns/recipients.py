"""Which of a batch's recipients may be mailed now: each send checks the contact's status and
topic (`segments.conditions.sendable`) and the suppression list (both forms,
`ecrm.contacts.suppression`) at send time, not at planning time. Who may not is written to the
ledger as `skipped` with the reason; a recipient whose contact is gone (erased since planning) is
counted as skipped with nothing written that would name them.

The account's send policy (`ecrm.mail.send_policy_view`) applies on top, also at send time:

- **a local time** (`ecrm.campaigns.local_time`): a recipient whose moment has not come is
  held like one in quiet hours, until it comes (then quiet hours' end, if it falls in them);
- **quiet hours**: a recipient whose local clock is in them is held, nothing written; the batch
  comes back when the first of them ends (`batch.held_until`, `ecrm.campaigns.waits`);
- **the frequency cap**: a recipient whose record (`ecrm.mail.frequency_cap`, read with the
  contacts) is full is skipped with reason `frequency_cap`; the others are counted by `claim`,
  in the transaction that claims them, so two senders never both pass the cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.campaigns import content as campaign_content
from ecrm.campaigns.local_time import LocalTime
from ecrm.contacts import suppression
from ecrm.mail import frequency_cap, quiet_hours, send_ledger, zones
from ecrm.mail.send_policy_view import FrequencyCap, SendPolicy
from ecrm.platform import clock, keys, store
from ecrm.segments.conditions import sendable

RECOUNTS = 5  # a record that keeps changing under us: the recipient waits for the next pass


def eligible(
    batch: send_ledger.Batch,
    todo: list[send_ledger.Todo],
    content: campaign_content.Content,
    policy: SendPolicy,
    fields: tuple[str, ...] = (),
    *,
    local: LocalTime | None = None,
) -> list[send_ledger.Todo]:
    """Read contacts and suppressions (one BatchGetItem per 50 recipients, with their frequency
    cap records when the cap is on; a second one for the addresses the plan did not know or that
    changed since), skip who may not be mailed, hold who is in quiet hours."""
    found = _read(batch, todo, content, policy, fields, zoned=bool(policy.quiet or local))
    ready = []
    now = clock.now()
    ref = frequency_cap.campaign_ref(batch.campaign_id)
    for entry in todo:
        reason = _reason(entry.contact, content, found)
        if reason is None and _held(batch, entry, policy, now, local):
            continue
        capped = policy.cap and not frequency_cap.allows(entry.mails, now, policy.cap, ref)
        if reason is None and capped:
            reason = send_ledger.CAPPED
        if reason is None:
            ready.append(entry)
        else:
            skip(batch, entry, reason)
    return ready


def _read(
    batch: send_ledger.Batch,
    todo: list[send_ledger.Todo],
    content: campaign_content.Content,
    policy: SendPolicy,
    fields: tuple[str, ...] = (),
    *,
    zoned: bool = False,
) -> dict[tuple[str, str], Any]:
    """Contacts, their suppressions and (cap on) their records, in one BatchGetItem per 50
    recipients; each entry gets its contact and record."""
    planned = dict(batch.recipients)
    attributes = ["type", "status", "topics", "email"]
    wanted_fields = dict.fromkeys((*content.template.contact_fields, *fields))  # A/B variants'
    attributes += [f"f_{name}" for name in wanted_fields if name != "email"]
    wanted = [keys.contact(t.contact_id) for t in todo]
    if zoned:
        attributes += zones.ATTRIBUTES
    if policy.cap:
        attributes += frequency_cap.ATTRIBUTES
        wanted += [keys.marketing_mails(t.contact_id) for t in todo]
    for entry in todo:
        if planned[entry.contact_id]:
            wanted += suppression.keys_of(planned[entry.contact_id])
    found = store.batch_get(wanted, attributes=attributes)
    unknown = []  # addresses not planned, or changed since planning: their suppression too
    for entry in todo:
        entry.contact = found.get(_pair(keys.contact(entry.contact_id)))
        entry.mails = frequency_cap.Seen.from_item(
            found.get(_pair(keys.marketing_mails(entry.contact_id)))
        )
        if entry.contact and entry.contact.get("email") != planned[entry.contact_id]:
            unknown.append(str(entry.contact.get("email") or ""))
    if unknown:
        again = [key for a in unknown if a for key in suppression.keys_of(a)]
        found |= store.batch_get(again, attributes=["pk"])
    return found


def _held(
    batch: send_ledger.Batch,
    entry: send_ledger.Todo,
    policy: SendPolicy,
    now: float,
    local: LocalTime | None,
) -> bool:
    """Before their moment (a local-time campaign) or in quiet hours on the recipient's clock:
    held, and the batch comes back at the first such end among its recipients."""
    if policy.quiet is None and local is None:
        return False
    tz = zones.zone_of(entry.contact, policy.zone)
    start = max(now, local.at(tz)) if local else now
    until = quiet_hours.release_time(start, policy.quiet, tz)
    if until <= now:
        return False
    batch.held_until = min(batch.held_until or until, until)
    return True


def skip(batch: send_ledger.Batch, entry: send_ledger.Todo, reason: str) -> None:
    # A contact gone (erased since planning) is counted and named nowhere: no ledger item.
    if reason == "gone" or send_ledger.take(batch, entry, send_ledger.SKIPPED, reason=reason):
        batch.outcomes[entry.contact_id] = send_ledger.SKIPPED
        if reason == send_ledger.CAPPED:
            batch.capped.add(entry.contact_id)
    else:
        batch.waiting.add(entry.contact_id)


def claim(
    batch: send_ledger.Batch,
    chunk: list[send_ledger.Todo],
    claimed_at: float,
    cap: FrequencyCap | None,
) -> list[send_ledger.Todo]:
    """Claim the chunk in the send ledger (`send_ledger.claim`), each claim with its count when
    the cap is on. A record that changed since it was read (another sender counted a mail) is
    read again: a recipient now capped is skipped, the others are claimed again."""
    if cap is None:
        return send_ledger.claim(batch, chunk, claimed_at)[0]
    ref = frequency_cap.campaign_ref(batch.campaign_id)

    def count(entry: send_ledger.Todo) -> store.Write:
        return frequency_cap.counted(entry.contact_id, entry.mails, claimed_at, cap, ref)

    claimed: list[send_ledger.Todo] = []
    remaining = chunk
    for _ in range(RECOUNTS):
        got, recount = send_ledger.claim(batch, remaining, claimed_at, count)
        claimed += got
        if not recount:
            return claimed
        fresh = frequency_cap.read([e.contact_id for e in recount])
        remaining = []
        for entry in recount:
            entry.mails = fresh[entry.contact_id]
            if frequency_cap.allows(entry.mails, claimed_at, cap, ref):
                remaining.append(entry)
            else:
                skip(batch, entry, send_ledger.CAPPED)
    batch.waiting.update(e.contact_id for e in remaining)
    return claimed


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
