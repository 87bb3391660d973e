"""The frequency cap: at most N marketing mails per contact in any D days, exact under
concurrency.

**Rolling window.** "3 per 7 days" means: in no 7-day stretch does a contact get more than 3
marketing mails. A send at `now` is allowed when fewer than N sends are recorded after
`now - D days`. Fixed buckets (calendar weeks) would let 3 go out on Sunday and 3 more on Monday.

**The record** (`keys.marketing_mails`, in the contact's partition): `sends`, a map from the
mail's reference (`c:<campaign id>`, `a:<automation rule id>`: each sends a contact at most one
mail) to the epoch second it was claimed, pruned to the window on every write (at most
`MAX_MAILS` + 1 entries), `version`, and `expires_at` (the window after the last send).

**Exact under concurrency.** A send is counted by `counted(...)`, a Put of the record read,
plus this send, conditional on the `version` read (or on there being none): it goes in the
very TransactWriteItems that claims the recipient in the send ledger (campaigns,
`ecrm.mail.send_ledger.claim`) or the automation run (`ecrm.automations.runs`). Two senders
that read the same record cannot both write it: the second's transaction is cancelled, it reads
again and decides again (maybe capped now). The claim and the count land together or not at
all, so a mail is never sent uncounted.

**What counts.** A send is counted when claimed, before SES. A retry of the same mail (given
back, a stale claim taken over) has the same reference, so it replaces its own entry and is
never counted twice; a contact's own earlier claim of this mail never caps it. A claim that
SES then refuses for good (a bad address) stays counted: the cap errs towards fewer mails.
Mail sent while the cap is off is not recorded (no write, no cost), so turning the cap on
counts from then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecrm.mail.send_policy_view import DAY, FrequencyCap
from ecrm.platform import keys, store

ATTRIBUTES = ("sends", "version")  # what a sender reads of the record
KEEP_AFTER_WINDOW = DAY  # the record outlives its window by a day (TTL is approximate)


def campaign_ref(campaign_id: str) -> str:
    return f"c:{campaign_id}"


def automation_ref(rule_id: str) -> str:
    return f"a:{rule_id}"


@dataclass(frozen=True)
class Seen:
    """The record as read: send times by reference, and its version (None: no record)."""

    sends: Mapping[str, int] = field(default_factory=dict)
    version: int | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> Seen:
        if not item:
            return cls()
        sends = item.get("sends") or {}
        return cls({str(k): int(v) for k, v in sends.items()}, int(item.get("version", 0)))


def in_window(seen: Seen, now: float, cap: FrequencyCap, ref: str) -> list[int]:
    """Send times inside the window ending at `now`, oldest first, leaving out `ref`'s own."""
    since = now - cap.period
    return sorted(t for r, t in seen.sends.items() if r != ref and t > since)


def allows(seen: Seen, now: float, cap: FrequencyCap, ref: str) -> bool:
    return len(in_window(seen, now, cap, ref)) < cap.max_mails


def free_at(seen: Seen, now: float, cap: FrequencyCap, ref: str) -> float:
    """The first moment the window allows one more mail (`now` if it does already), were
    nothing else sent meanwhile: when the oldest send that keeps it full leaves the window."""
    times = in_window(seen, now, cap, ref)
    if len(times) < cap.max_mails:
        return now
    return float(times[len(times) - cap.max_mails] + cap.period + 1)


def counted(contact_id: str, seen: Seen, now: float, cap: FrequencyCap, ref: str) -> store.Put:
    """The record with this send added: for the claim's transaction (see the module)."""
    at = int(now)
    sends = {r: t for r, t in seen.sends.items() if r != ref and t > at - cap.period}
    sends[ref] = at
    item = {
        **keys.marketing_mails(contact_id),
        "type": "marketing_mails",
        "sends": sends,
        "version": (seen.version or 0) + 1,
        "expires_at": at + cap.period + KEEP_AFTER_WINDOW,
    }
    if seen.version is None:
        return store.Put(item, condition="attribute_not_exists(pk)")
    return store.Put(item, condition="version = :seen", values={":seen": seen.version})


def read(contact_ids: list[str]) -> dict[str, Seen]:
    """The records of these contacts (consistent), by contact id."""
    wanted = [keys.marketing_mails(c) for c in contact_ids]
    found = store.batch_get(wanted, attributes=ATTRIBUTES) if wanted else {}
    return {
        c: Seen.from_item(found.get((k["pk"], k["sk"])))
        for c, k in zip(contact_ids, wanted, strict=True)
    }
