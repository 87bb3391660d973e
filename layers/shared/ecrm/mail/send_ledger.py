"""The send ledger of a campaign: one item per recipient, `keys.send_ledger(campaign, contact)`,
owned by the one batch that holds the recipient (batches are fixed by the stored pages,
`ecrm.campaigns.plan`); see `ecrm.campaigns.sending` for how a batch moves it.

    (none) ──claim──▶ sending ──SES accepted──▶ sent
      │                 │ ╲──SES throttled/deferred──▶ retry ──claim──▶ sending
      │                 ╰──SES refused the address──▶ failed
      ╰──not mailable now (status, topic, suppression, frequency cap)──▶ skipped

A recipient whose contact is gone (erased after the batch was planned) or whose page entry an
erasure replaced by a pseudonym is counted as skipped with no ledger item: nothing may name an
erased person by the plain contact id, and with nothing to send there is nothing to repeat.

Ledger items, audience pages and batch markers carry `expires_at` (the table's TTL attribute)
`RECORD_DAYS` after they are written: they only matter while the campaign sends (a campaign
resumes within `RESUME_DAYS` of its start) and for the SES `Send` events that
follow within minutes; the stats live on the campaign item.

Every write that starts a recipient's life is conditional: new (`attribute_not_exists`), or
this batch's own `retry` item, or its own `sending` item claimed at exactly the `claimed_at`
read (a stale claim). Of two copies of a batch, only one ever sends to a recipient.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings

logger = Logger(service="mailing", child=True)

SENDING, SENT, SKIPPED, FAILED, RETRY = "sending", "sent", "skipped", "failed", "retry"
RECORD_DAYS = 60
RESUME_DAYS = 30  # a paused campaign resumes within this many days of its start
ENGAGEMENT_DAYS = 400  # unique opens/clicks/unsubscribes per recipient: counted once this long
DONE_STATES = {SENT, SKIPPED, FAILED}
CAPPED = "frequency_cap"  # the reason of a recipient skipped by the frequency cap
CAPPED_COUNTER = "skipped_frequency_cap"  # ... and the campaign counter of them
ERASED_PREFIX = "k."  # `pseudonyms.erased_contact`; a contact id is hex


@dataclass
class Batch:
    campaign_id: str
    batch_id: str
    recipients: list[tuple[str, str]]  # (contact id, planned email)
    attempt: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)  # contact id -> done state
    waiting: set[str] = field(default_factory=set)
    capped: set[str] = field(default_factory=set)  # skipped by the frequency cap
    held_until: float | None = None  # some recipients wait (quiet hours, an A/B winner)
    # A/B test: contact id -> (group, variant), stored on its ledger item (`ecrm.campaigns.ab`)
    variants: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> Batch:
        return cls(
            str(message["campaign"]),
            str(message["batch"]),
            [(str(c), str(e)) for c, e in message["recipients"]],
            int(message.get("attempt", 0)),
        )

    def message(self) -> dict[str, Any]:
        return {
            "kind": "batch",
            "campaign": self.campaign_id,
            "batch": self.batch_id,
            "recipients": [list(r) for r in self.recipients],
            "attempt": self.attempt + 1,
        }


@dataclass
class Todo:
    """A recipient this run must handle."""

    contact_id: str
    takeover: bool = False  # this batch's own `retry` or stale `sending` item is there
    seen: Any = None  # claimed_at of this batch's own stale claim
    contact: dict[str, Any] | None = None
    mails: Any = None  # the contact's `frequency_cap.Seen`, when the cap is on


def erased(contact_id: str) -> bool:
    """A recipient an erasure replaced in its audience page by its keyed pseudonym
    (`ecrm.campaigns.erasure`): skipped, with nothing read or written about it."""
    return contact_id.startswith(ERASED_PREFIX)


def expiry(days: int = RECORD_DAYS) -> int:
    """`expires_at` for a campaign record written now (epoch seconds, as TTL wants)."""
    return int(clock.now()) + days * 86400


def ledger(batch: Batch, contact_id: str, state: str, **extra: Any) -> dict[str, Any]:
    group = batch.variants.get(contact_id)
    if group is not None:
        extra = {"ab_group": group[0], **({"variant": group[1]} if group[1] else {}), **extra}
    return {
        **keys.send_ledger(batch.campaign_id, contact_id),
        "type": "send_ledger",
        "campaign_id": batch.campaign_id,
        "contact_id": contact_id,
        "batch": batch.batch_id,
        "state": state,
        "expires_at": expiry(),
        **extra,
    }


def ledger_write(batch: Batch, entry: Todo, state: str, **extra: Any) -> store.Put:
    """A recipient's ledger item, conditional: a new one, or (`entry.takeover`) this batch's
    own `retry` item or its own `sending` item claimed at exactly `entry.seen` (stale)."""
    item = ledger(batch, entry.contact_id, state, **extra)
    if not entry.takeover:  # the common case, and the cheapest condition to evaluate
        return store.Put(item, condition="attribute_not_exists(pk)")
    return store.Put(
        item,
        condition=(
            "attribute_not_exists(pk) OR (#batch = :batch AND"
            " (#state = :retry OR (#state = :sending AND claimed_at = :seen)))"
        ),
        names={"#batch": "batch", "#state": "state"},
        values={
            ":batch": batch.batch_id,
            ":retry": RETRY,
            ":sending": SENDING,
            ":seen": entry.seen if entry.seen is not None else -1,
        },
    )


def take(batch: Batch, entry: Todo, state: str, **extra: Any) -> bool:
    """Write one recipient's ledger item; False when someone else has it."""
    try:
        store.write(ledger_write(batch, entry, state, **extra))
    except store.ConditionFailed:
        return False
    return True


Companion = Callable[[Todo], store.Write]
CONFLICT_TRIES = (
    4  # a transaction that met another on an item (a frequency cap record) is tried again
)


def claim(
    batch: Batch, chunk: list[Todo], claimed_at: float, companion: Companion | None = None
) -> tuple[list[Todo], list[Todo]]:
    """Claim a chunk in one TransactWriteItems (each claim conditional, as `take`), each with
    its `companion` write when given (the frequency cap's count); those whose claim fails
    (another copy of this batch has them) are left to wait. Returns (claimed, those whose
    companion's condition failed: to read again and decide again). A transaction that keeps
    meeting others (`Busy`) leaves its recipients waiting: the batch comes back."""
    remaining, recount = list(chunk), list[Todo]()
    per = 2 if companion else 1
    conflicts = 0
    while remaining:
        writes: list[store.Write] = []
        for entry in remaining:
            writes.append(ledger_write(batch, entry, SENDING, claimed_at=claimed_at))
            if companion:
                writes.append(companion(entry))
        try:
            store.transact(writes)
            return remaining, recount
        except store.TransactionCancelled as cancelled:
            failed = cancelled.failed
            lost = {e.contact_id for i, e in enumerate(remaining) if failed[i * per]}
            changed = {
                e.contact_id for i, e in enumerate(remaining) if per == 2 and failed[i * per + 1]
            }
            batch.waiting.update(lost)
            recount += [e for e in remaining if e.contact_id in changed - lost]
            remaining = [e for e in remaining if e.contact_id not in lost | changed]
        except Busy:
            conflicts += 1
            if conflicts >= CONFLICT_TRIES:
                batch.waiting.update(e.contact_id for e in remaining)
                return [], recount
            time.sleep(random.uniform(0.005, 0.03) * conflicts)  # noqa: S311 - jitter
    return remaining, recount


def write_marks(marks: list[dict[str, Any]], batch: Batch) -> None:
    """Write `sent`/`failed` items (the claim made them this worker's alone: BatchWriteItem) and
    record the outcomes. An unwritten `sent` is the one thing that can turn into a duplicate
    later, so a throttled table is retried, with backoff, for a few seconds before giving up
    (the stale-claim rule is the last resort)."""
    for attempt in range(8 if marks else 0):
        try:
            store.batch_put(marks)
            break
        except Busy:
            if attempt == 7:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt))
    for mark in marks:
        if mark["state"] in DONE_STATES:
            batch.outcomes[mark["contact_id"]] = mark["state"]
    marks.clear()


def triage(batch: Batch, items: Mapping[str, dict[str, Any]]) -> list[Todo]:
    """Which recipients this run must handle; records those already done and those to wait on."""
    stale_before = clock.now() - settings().stale_sending_seconds
    todo = []
    for contact_id, _ in batch.recipients:
        item = items.get(contact_id)
        if erased(contact_id):
            batch.outcomes[contact_id] = SKIPPED
        elif item is None:
            todo.append(Todo(contact_id))
        elif item.get("batch") != batch.batch_id:
            logger.warning("recipient owned by another batch", extra={"batch": batch.batch_id})
            batch.outcomes[contact_id] = "foreign"
        elif item["state"] in DONE_STATES:
            batch.outcomes[contact_id] = item["state"]
            if item.get("ab_group"):
                batch.variants[contact_id] = (str(item["ab_group"]), item.get("variant"))
            if item.get("reason") == CAPPED:
                batch.capped.add(contact_id)
        elif item["state"] == RETRY:
            todo.append(Todo(contact_id, takeover=True))
        elif float(item.get("claimed_at", 0)) < stale_before:
            todo.append(Todo(contact_id, takeover=True, seen=item.get("claimed_at")))
        else:
            batch.waiting.add(contact_id)  # claimed by a worker that may still be running
    return todo


def tally(batch: Batch) -> None:
    """Add the finished batch's outcome to the campaign, once (the marker's condition)."""
    states = list(batch.outcomes.values())
    counts = {state: states.count(state) for state in (SENT, SKIPPED, FAILED)}
    capped = len(batch.capped & {c for c, s in batch.outcomes.items() if s == SKIPPED})
    counters = {**counts, "processed": len(states)} | ({CAPPED_COUNTER: capped} if capped else {})
    _count_once(keys.campaign_batch(batch.campaign_id, batch.batch_id), batch, counters, counts)


def ab_counts(batch: Batch) -> dict[str, int]:
    """An A/B batch's own counters: per test variant, its recipients done (`ab_recipients_<v>`:
    mailed, skipped or failed) and its mails sent (`ab_sent_<v>`); and the recipients held
    out (`ab_holdout`). Named as `ecrm.campaigns.ab.counter` spells them."""
    counts: dict[str, int] = {}
    for contact_id, state in batch.outcomes.items():
        group, variant = batch.variants.get(contact_id, ("", None))
        if group == "test" and variant and state in DONE_STATES:
            names = [f"ab_recipients_{variant}"] + ([f"ab_sent_{variant}"] if state == SENT else [])
        elif group == "holdout" and state == SKIPPED:
            names = ["ab_holdout"]
        else:
            continue
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return counts


def tally_test(batch: Batch) -> None:
    """Add an A/B batch's test mails and holdout to the campaign, once (its own marker): as
    soon as its test group is done, not when the whole batch is (the rest waits for the winner
    that these counts decide)."""
    counts = ab_counts(batch)
    if counts:
        _count_once(keys.campaign_batch_test(batch.campaign_id, batch.batch_id), batch, counts)


def _count_once(
    marker: dict[str, str],
    batch: Batch,
    counters: dict[str, int],
    noted: dict[str, int] | None = None,
) -> None:
    """ADD `counters` to the batch's campaign in the transaction that puts `marker` (with the
    `noted` figures): a marker already there means an earlier copy of this batch counted."""
    names = {f"#c{n}": name for n, name in enumerate(sorted(counters))}
    with contextlib.suppress(store.TransactionCancelled):
        store.transact(
            [
                store.Put(
                    {
                        **marker,
                        "type": "campaign_batch",
                        **(noted or {}),
                        "at": clock.iso(clock.now()),
                        "expires_at": expiry(),
                    },
                    condition="attribute_not_exists(pk)",
                ),
                store.Update(
                    keys.campaign(batch.campaign_id),
                    "ADD " + ", ".join(f"{n} :{n[1:]}" for n in names),
                    condition="attribute_exists(pk)",
                    names=names,
                    values={f":{n[1:]}": counters[name] for n, name in names.items()},
                ),
            ]
        )


def confirm_sent(campaign_id: str, contact_id: str, message_id: str) -> bool:
    """SES says it accepted a campaign message (its `Send` event, tags `campaign`/`contact`):
    a claim left `sending` by a worker that died after the SES call becomes `sent`, so it is
    never sent twice. For the SES events handler; idempotent."""
    try:
        store.write(
            store.Update(
                keys.send_ledger(campaign_id, contact_id),
                "SET #state = :sent, message_id = :id, confirmed_by_event = :true",
                condition="#state = :sending",
                names={"#state": "state"},
                values={
                    ":sent": SENT,
                    ":sending": SENDING,
                    ":id": message_id,
                    ":true": True,
                },
            )
        )
    except store.ConditionFailed:
        return False
    return True
