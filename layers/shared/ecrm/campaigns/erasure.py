"""What an erasure changes in the campaigns that planned the contact (`ecrm.account.personal_data`).

A campaign's audience pages (`keys.campaign_page`) hold each recipient's contact id (and, for a
segment with conditions, the address as planned), and a page's `next` (where the next page's
Query starts) is the index key of the last topic member it read. Pages are read back by every
replan and their positions make the batch ids (`<shard>.<page>.<n>`), so an erased recipient's
entry is replaced in place by the keyed pseudonym (`pseudonyms.erased_contact`), which the
sender counts as skipped without reading or writing anything (`ecrm.mail.send_ledger`): the
batches stay the same, the audience and the counts stay right.

Which campaigns: those that started sending within `PAGE_DAYS` (listed by the campaign
started index, `keys.campaign_started`; older pages have expired), besides those the contact's
interactions name. In each, the contact can only be in its own topic shard's pages (1/8 of
them), which are read with one Query per MB. The contact must have left the topic index
before (`personal_data` deletes its memberships first), so no page planned later holds it and
a rewritten `next` can start after the member before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ecrm.mail import send_ledger
from ecrm.platform import clock, keys, pseudonyms, store

# Pages are planned while a campaign sends (it resumes within RESUME_DAYS of its start) and
# expire RECORD_DAYS later; the TTL deletes an expired item within days, not at once.
TTL_LAG_DAYS = 10
PAGE_DAYS = send_ledger.RESUME_DAYS + send_ledger.RECORD_DAYS + TTL_LAG_DAYS


def recent(now: float | None = None) -> set[str]:
    """Campaigns that started sending within `PAGE_DAYS` (one index Query per MB of entries)."""
    since = clock.iso((clock.now() if now is None else now) - PAGE_DAYS * 86400)
    found: set[str] = set()
    start: dict[str, Any] | None = None
    while True:
        entries, start = store.query(
            keys.STARTED_CAMPAIGNS, index="gsi1", sk_from=since, start=start
        )
        found.update(keys.campaign_id_of(e["pk"]) for e in entries)
        if not start:
            return found


def forget(contact_id: str, campaigns: Iterable[str]) -> int:
    """Replace the contact in every audience page of `campaigns`; returns the pages changed.
    Safe to repeat: a page already changed no longer names the contact."""
    prefix = keys.campaign_pages(keys.topic_shard(contact_id))
    changed = 0
    for campaign_id in sorted(campaigns):
        pk = keys.campaign(campaign_id)["pk"]
        for page in store.query_all(pk, sk_prefix=prefix):
            changed += _rewrite(contact_id, page)
    return changed


def _rewrite(contact_id: str, page: dict[str, Any]) -> int:
    at = [i for i, r in enumerate(page.get("recipients") or []) if r and r[0] == contact_id]
    cursor = page.get("next")
    names_it = bool(cursor) and contact_id in str(cursor)
    if not at and not names_it:
        return 0
    sets = [f"recipients[{i}] = :erased" for i in at]
    values: dict[str, Any] = {":erased": [pseudonyms.erased_contact(contact_id), ""]}
    names: dict[str, str] = {}
    if names_it:
        sets.append("#next = :next")
        names["#next"] = "next"
        values[":next"] = json.dumps(_start_before(json.loads(str(cursor))))
    try:
        store.write(
            store.Update(
                {"pk": page["pk"], "sk": page["sk"]},
                "SET " + ", ".join(sets),
                condition="attribute_exists(pk)",  # not a stub where the TTL deleted it
                names=names,
                values=values,
            )
        )
    except store.ConditionFailed:
        return 0
    return 1


def _start_before(start: dict[str, Any]) -> dict[str, Any]:
    """A Query start equivalent to `start` once its member has left the index: the member
    before it (a Query continues after it, so the same members follow), or, with none, the
    bottom of the partition."""
    before, _ = store.query(
        str(start["gsi1pk"]),
        index="gsi1",
        sk_below=str(start["gsi1sk"]),
        newest_first=True,
        limit=1,
    )
    if before:
        return {k: before[0][k] for k in ("pk", "sk", "gsi1pk", "gsi1sk")}
    prefix = str(start["gsi1sk"]).split("#", 1)[0] + "#"
    return {**start, "pk": prefix, "gsi1sk": prefix}
