"""The fan-out of a sending campaign: topic shard pages -> batches on the campaign queue.

A plan message names (campaign, shard, page, start). The first time a page is planned, its
recipients (the segment evaluated on one Query page of the shard, see `ecrm.segments.definitions`)
are stored in `keys.campaign_page` together with their batch size and where the next page starts,
in one transaction with the campaign's `audience` counter (and `shards_planned` on a shard's
last page). Every later plan of the same page (a redelivered message, a resume, the tick
repairing a crashed fan-out) reads the stored page instead: batches are therefore the same
every time (batch id `<shard>.<page>.<n>`, the same recipients), which is what makes each
recipient belong to exactly one batch and each batch count once (`ecrm.campaigns.sending`).

A campaign sent at a local time (`ecrm.campaigns.local_time`) stores its page ordered by each
recipient's moment, with its batches (`batches`: start, end, not before; one wave each), and a
batch message carries its `not_before`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.campaigns import local_time, queue
from ecrm.mail import send_ledger, send_policy_view
from ecrm.platform import clock, keys, store
from ecrm.segments import audience, conditions

logger = Logger(service="mailing", child=True)

BATCH_SIZE = 50  # recipients per batch message, at most


def batch_size(recipients: int) -> int:
    """A page's recipients in equal batches of at most `BATCH_SIZE` (261: 44 x 5 + 41, not
    50 x 5 + 11). Workers take turns at the send pace; a short batch is a short
    turn, which can end before the other worker is ready with its next batch."""
    if recipients <= 0:
        return BATCH_SIZE
    return math.ceil(recipients / math.ceil(recipients / BATCH_SIZE))


def batch_messages(
    campaign_id: str, shard: int, page: int, recipients: list[Any], size: int = BATCH_SIZE
) -> list[dict[str, Any]]:
    bounds = [(start, start + size, None) for start in range(0, len(recipients), size)]
    return _messages(campaign_id, shard, page, recipients, bounds)


def _messages(
    campaign_id: str,
    shard: int,
    page: int,
    recipients: list[Any],
    bounds: Sequence[local_time.Bounds],
) -> list[dict[str, Any]]:
    return [
        {
            "kind": "batch",
            "campaign": campaign_id,
            "batch": f"{shard}.{page}.{n}",
            "recipients": recipients[start:end],
            **({"not_before": not_before} if not_before is not None else {}),
        }
        for n, (start, end, not_before) in enumerate(bounds)
    ]


def _bounds(stored: Mapping[str, Any]) -> list[local_time.Bounds]:
    """A stored page's batches: its own (a local-time page: one wave each), else equal parts
    of its `batch_size` (a page planned before sizes were stored was split by 50, and its
    batches must stay what they were)."""
    if stored.get("batches"):
        return [(int(a), int(b), None if t is None else float(t)) for a, b, t in stored["batches"]]
    size = int(stored.get("batch_size") or BATCH_SIZE)
    count = len(stored.get("recipients") or [])
    return [(start, start + size, None) for start in range(0, count, size)]


def _stored_page(
    campaign: Mapping[str, Any], shard: int, page: int, start: Mapping[str, Any] | None
) -> dict[str, Any]:
    campaign_id = str(campaign["id"])
    key = keys.campaign_page(campaign_id, shard, page)
    found = store.get(key)
    if found is not None:
        return found
    content = store.get(keys.campaign_content(campaign_id), consistent=False)
    if content is None:
        raise RuntimeError(f"campaign {campaign_id} is sending without content")
    segment = conditions.SegmentView.from_item(content["segment"])
    resolved = audience.members_page(segment, shard, start)
    last = resolved.next_start is None
    recipients = [[m.contact_id, m.email] for m in resolved.members]
    waves: dict[str, Any] = {}
    if (spec := local_time.LocalTime.of(campaign)) and recipients:  # one wave per batch
        default_zone = send_policy_view.current().zone
        moments = local_time.moments(spec, [r[0] for r in recipients], default_zone)
        recipients, bounds = local_time.waves(recipients, moments, BATCH_SIZE)
        waves = {"batches": [[a, b, None if t is None else int(t)] for a, b, t in bounds]}
    record = {
        **key,
        "type": "campaign_page",
        "recipients": recipients,
        **waves,
        "batch_size": batch_size(len(resolved.members)),
        "candidates": resolved.candidates,
        "next": None if last else json.dumps(resolved.next_start),
        "last": last,
        "planned_at": clock.iso(clock.now()),
        "expires_at": send_ledger.expiry(),
    }
    counters = "ADD #audience :n" + (", #planned :one" if last else "")
    try:
        store.transact(
            [
                store.Put(record, condition="attribute_not_exists(pk)"),
                store.Update(
                    keys.campaign(campaign_id),
                    counters,
                    condition="attribute_exists(pk)",
                    names={
                        "#audience": "audience",
                        **({"#planned": "shards_planned"} if last else {}),
                    },
                    values={":n": len(resolved.members), **({":one": 1} if last else {})},
                ),
            ]
        )
    except store.TransactionCancelled:
        stored = store.get(key)  # planned meanwhile by another copy of this message
        if stored is None:
            raise
        return stored
    return record


def plan(message: Mapping[str, Any]) -> int:
    """Plan one page; returns how many batch messages it sent (0 when the campaign stopped)."""
    campaign_id, shard, page = str(message["campaign"]), int(message["shard"]), int(message["page"])
    current = store.get(keys.campaign(campaign_id))
    if not current or current.get("state") != "sending":
        return 0  # paused (resume plans again), cancelled or done
    start = message.get("start")
    stored = _stored_page(
        current, shard, page, json.loads(start) if isinstance(start, str) else start
    )
    recipients = list(stored.get("recipients") or [])
    outgoing = _messages(campaign_id, shard, page, recipients, _bounds(stored))
    if stored.get("next"):
        outgoing.append(plan_message(campaign_id, shard, page + 1, stored["next"]))
    queue.send(outgoing)
    if stored.get("last"):
        finish_if_complete(campaign_id)  # an empty last page may complete it
    logger.debug("planned", extra={"campaign_id": campaign_id, "shard": shard, "page": page})
    return len(outgoing)


def batch_message(campaign_id: str, batch_id: str, attempt: int) -> dict[str, Any] | None:
    """A batch's message again, from its stored page (`<shard>.<page>.<n>`), as a later
    attempt (the ledger is read); None when the page is gone (expired)."""
    shard, page, number = (int(part) for part in batch_id.split("."))
    stored = store.get(keys.campaign_page(campaign_id, shard, page))
    if stored is None:
        return None
    start, end, not_before = _bounds(stored)[number]
    return {
        "kind": "batch",
        "campaign": campaign_id,
        "batch": batch_id,
        "recipients": list(stored.get("recipients") or [])[start:end],
        "attempt": attempt,
        **({"not_before": not_before} if not_before is not None else {}),
    }


def plan_message(campaign_id: str, shard: int, page_number: int, start: Any) -> dict[str, Any]:
    return {
        "kind": "plan",
        "campaign": campaign_id,
        "shard": shard,
        "page": page_number,
        "start": start,
    }


def fan_out(campaign_id: str) -> None:
    """One plan message per topic shard, then the due entry leaves the index."""
    queue.send([plan_message(campaign_id, s, 0, None) for s in range(keys.TOPIC_SHARDS)])
    store.write(
        store.Update(
            keys.campaign_due(campaign_id),
            "SET fanned_out_at = :now REMOVE gsi1pk, gsi1sk",
            condition="attribute_exists(pk)",
            values={":now": clock.iso(clock.now())},
        )
    )


def finish_if_complete(campaign_id: str) -> bool:
    """`sending -> done` once every shard is planned and every planned recipient processed."""
    try:
        store.write(
            store.Update(
                keys.campaign(campaign_id),
                "SET #state = :done, finished_at = :now",
                condition=("#state = :sending AND #planned >= :shards AND #processed >= #audience"),
                names={
                    "#state": "state",
                    "#planned": "shards_planned",
                    "#processed": "processed",
                    "#audience": "audience",
                },
                values={
                    ":done": "done",
                    ":sending": "sending",
                    ":shards": keys.TOPIC_SHARDS,
                    ":now": clock.iso(clock.now()),
                },
            )
        )
    except store.ConditionFailed:
        return False
    logger.info("campaign done", extra={"campaign_id": campaign_id})
    return True
