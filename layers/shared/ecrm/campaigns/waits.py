"""A batch held back for quiet hours: some of its recipients' local clocks are in them, so they
were neither claimed nor counted (`ecrm.campaigns.recipients`); the batch comes back when the
first of those windows ends, by the schedule tick, and sends to who may be mailed then.

- `hold` writes `CAMPAIGN#<id>` / `WAIT#<batch>` with a due entry (`keys.due`) at that time,
  *before* the batch's message is acknowledged: a crash in between redelivers the message,
  which writes the same item again. The item names the batch only (no contact id, no
  address: an erasure meanwhile needs nothing here); the recipients are read back from the
  stored audience page (`ecrm.campaigns.plan.batch_message`), as erasure leaves it.
- `release` (the tick, `ecrm.due`) puts the batch message back on the campaign queue, then
  takes the entry out of the index only if it is still the one it read (`hold_id`): a hold
  written meanwhile by a copy of the batch is kept. A campaign no longer sending is not
  queued (resume plans every batch again); its entry goes.

Each recipient still belongs to one batch, and the batch is counted only once all of them are
done, so nothing is lost; the ledger's claims keep any copy of a batch from mailing twice.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping

from aws_lambda_powertools import Logger

from ecrm.campaigns import plan, queue
from ecrm.mail import send_ledger
from ecrm.platform import clock, keys, store

logger = Logger(service="mailing", child=True)


def hold(batch: send_ledger.Batch, until: float, *, tried: bool = True) -> None:
    """Bring the batch back at `until` (epoch seconds), as its next attempt; or, not `tried`
    (a local-time wave's batch held before anything was read or claimed), as the same one:
    it comes back as a first delivery, which skips the ledger read (another copy's claims
    are still found by the claim's conditions)."""
    key = keys.campaign_wait(batch.campaign_id, batch.batch_id)
    due_at = clock.iso(until)
    store.write(
        store.Put(
            {
                **key,
                **keys.due(due_at, key),
                "type": "campaign_wait",
                "campaign_id": batch.campaign_id,
                "batch": batch.batch_id,
                "attempt": batch.attempt + (1 if tried else 0),
                "due_at": due_at,
                "hold_id": secrets.token_hex(8),
                "expires_at": send_ledger.expiry(),
            }
        )
    )
    logger.info(
        "batch held (quiet hours, or an A/B test's winner)",
        extra={"campaign_id": batch.campaign_id},
    )


def release(key: Mapping[str, str]) -> None:
    """The tick's handler of a `WAIT#` entry (idempotent)."""
    found = store.get(key)
    if found is None or "gsi1pk" not in found:
        return
    campaign_id = str(found["campaign_id"])
    current = store.get(keys.campaign(campaign_id))
    if current and current.get("state") == "sending":
        message = plan.batch_message(campaign_id, str(found["batch"]), int(found["attempt"]))
        if message is not None:
            queue.send([message])
    # A failed condition: held again meanwhile, for a later time; that entry stays.
    with contextlib.suppress(store.ConditionFailed):
        store.write(
            store.Update(
                key,
                "SET released_at = :now REMOVE gsi1pk, gsi1sk",
                condition="hold_id = :seen",
                values={":now": clock.iso(clock.now()), ":seen": found["hold_id"]},
            )
        )
