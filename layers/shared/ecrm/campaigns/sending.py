"""Sending one batch of a campaign: each recipient exactly once, whatever crashes or repeats.

Every recipient has a ledger item (`ecrm.mail.send_ledger`: its states, the conditions that let
one batch, and one copy of it, send to a recipient, the batch tally and the `Send`-event
confirmation); who may be mailed at send time is `ecrm.campaigns.recipients`:

- Sends go in chunks (`ecrm.campaigns.chunks`: one pacing reservation, `ecrm.mail.pacing`,
  taken once the chunk is claimed and rendered; the next chunk is claimed and rendered
  meanwhile, by a helper thread, and given back as `retry` if the batch stops first). A
  chunk's claims are written *before* any of its SES calls, in one TransactWriteItems, each
  conditional (`attribute_not_exists`, or taking over this batch's own `retry` item, or its
  own stale `sending` item by the exact `claimed_at` read): of two copies of a batch only one
  sends to a recipient. A failed condition leaves that recipient to wait; the others go ahead.
- `sent`/`failed` are written right after the chunk (BatchWriteItem: the claim made the items
  this worker's alone); a throttle or deferral writes the chunk's unsent claims back as `retry`.
- The send policy is applied at send time (`ecrm.campaigns.recipients`: capped recipients
  skipped, the others counted in their claims; those in quiet hours held, `campaigns.waits`).
- A batch is finished when each of its recipients is `sent`, `skipped` or `failed`; then one
  transaction writes the batch's tally marker (`attribute_not_exists`) and adds its counts to
  the campaign (`sent`, `skipped`, `failed`, `processed`), so counts are exact under redelivery.
- Anything that must wait (a throttle, a deferral, another copy's claim, the end of the time
  budget) sends the batch again to the queue with a delay and lets the current message go: no
  message is dropped, and a redelivered batch skips what is already done.

The one window that no ordering closes: SES accepted a message and the worker died before
writing `sent`. The item stays `sending`. A redelivered batch leaves a fresh `sending` item
alone (it waits: the worker that claimed it may still be alive) and takes it over only once it
is older than `STALE_SENDING_SECONDS` (15 min, far beyond the function's timeout). If SES's
`Send` event for the message (tags `campaign`, `contact`) arrives meanwhile, `confirm_sent`
marks the item `sent`; otherwise, after the stale time, the recipient is sent again: one
duplicate, only for a worker that died inside that window, and only when the event is lost.
The window is one chunk of sends (about `rate x 0.3 s` of them, `pacing.chunk_size`); the
chunk's claimed but unsent recipients, and the next chunk's claimed ahead, are no duplicates:
they get their one mail after the stale time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.campaigns import (
    ab,
    ab_batch,
    ab_winner,
    chunks,
    local_time,
    plan,
    queue,
    recipients,
    waits,
)
from ecrm.campaigns import content as campaign_content
from ecrm.mail import send_ledger, send_policy_view
from ecrm.platform import clock, keys, store

RETRY_DELAY = 5  # seconds before a throttled or waiting batch comes back
DEFERRED_DELAY = 120  # seconds, when SES refused for the account (paused sending, 5xx)


@dataclass(frozen=True)
class Result:
    sent: int
    requeued_after: int | None  # seconds, when the batch went back to the queue
    finished: bool  # the batch's tally is on the campaign (now or before)


def _pair(key: Mapping[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]


# --- sending --------------------------------------------------------------------------------


def _requeue(batch: send_ledger.Batch, reason: str) -> int:
    if reason == "deferred":
        delay = DEFERRED_DELAY
    elif reason in {"time", "throttled"}:
        delay = 0 if reason == "time" else RETRY_DELAY
    else:  # waiting on claims that another run holds: soon at first, then less often
        delay = min(queue.MAX_DELAY_SECONDS, RETRY_DELAY * 2 ** min(batch.attempt, 8))
    queue.send([batch.message()], delay=delay)
    return delay


def _before_its_wave(batch: send_ledger.Batch, message: Mapping[str, Any]) -> Result | None:
    """A local-time wave's batch that came before its moment (`ecrm.campaigns.local_time`) is
    held until then, nothing read."""
    not_before = float(message.get("not_before") or 0)
    if not_before <= clock.now():
        return None
    waits.hold(batch, not_before, tried=False)
    return Result(0, max(0, round(not_before - clock.now())), finished=False)


def send_batch(
    message: Mapping[str, Any], *, first_delivery: bool, seconds_left: Callable[[], float]
) -> Result:
    """Handle one batch message (see the module's docstring). On a first delivery the ledger is
    not read (nothing can be in it yet but another copy's claims, which the claim detects)."""
    batch = send_ledger.Batch.from_message(message)
    if early := _before_its_wave(batch, message):
        return early
    meta_key = keys.campaign(batch.campaign_id)
    marker_key = keys.campaign_batch(batch.campaign_id, batch.batch_id)
    wanted = [meta_key, marker_key]
    if not first_delivery:
        wanted += [
            keys.send_ledger(batch.campaign_id, c)
            for c, _ in batch.recipients
            if not send_ledger.erased(c)
        ]
    found = store.batch_get(wanted)
    campaign = found.get(_pair(meta_key))
    if campaign is None:
        return Result(0, None, finished=True)
    if _pair(marker_key) in found:  # counted before; the completion check may not have run
        if campaign.get("state") == "sending":
            plan.finish_if_complete(batch.campaign_id)
        return Result(0, None, finished=True)
    if campaign.get("state") != "sending":
        return Result(0, None, finished=False)  # paused: resume plans again; else: stopped
    ledger = {
        str(item["contact_id"]): item
        for (_, sort_key), item in found.items()
        if sort_key.startswith("SEND#")
    }
    todo = send_ledger.triage(batch, ledger)
    stop = _send_todo(batch, campaign, todo, seconds_left)
    return _conclude(batch, stop, ab_test=ab.AbTest.of(campaign) is not None)


def _send_todo(
    batch: send_ledger.Batch,
    campaign: Mapping[str, Any],
    todo: list[send_ledger.Todo],
    seconds_left: Callable[[], float],
) -> str | None:
    """Judge the recipients to do (A/B group, send policy, local time) and send to who may be
    mailed now, variant by variant; the reason it stopped early, or None."""
    content = campaign_content.for_campaign(campaign)
    policy = send_policy_view.current()
    test = ab.AbTest.of(campaign)
    if test is not None and todo:
        todo = ab_batch.split(batch, todo, test, clock.now())
    contents = ab_batch.contents(campaign, batch, todo)
    fields = tuple(f for c in contents.values() for f in c.template.contact_fields)
    local = local_time.LocalTime.of(campaign)
    ready = recipients.eligible(batch, todo, content, policy, fields, local=local) if todo else []
    stop = None
    for variant, group in ab_batch.by_variant(batch, ready).items():
        chosen = contents.get(variant, content)
        stop = chunks.send_all(batch, group, chosen, seconds_left, policy.cap)
        if stop:
            break
    if test is not None and not stop and not batch.waiting:
        ab_batch.count_test(batch, test)
    return stop


def _conclude(batch: send_ledger.Batch, stop: str | None, *, ab_test: bool) -> Result:
    """Count the batch when all its recipients are done; otherwise it comes back (requeued,
    or held until quiet hours end or an A/B test's winner: nothing was claimed for those)."""
    sent = sum(1 for state in batch.outcomes.values() if state == send_ledger.SENT)
    if stop == "stopped":
        return Result(sent, None, finished=False)
    if stop or batch.waiting:
        return Result(sent, _requeue(batch, stop or "waiting"), finished=False)
    if batch.held_until is not None:
        waits.hold(batch, batch.held_until)
        if ab_test:
            ab_winner.release_if_decided(batch)
        return Result(sent, max(0, round(batch.held_until - clock.now())), finished=False)
    send_ledger.tally(batch)
    plan.finish_if_complete(batch.campaign_id)
    return Result(sent, None, finished=True)
