"""Choosing an A/B test's winner: by the schedule tick when the wait ends (`decide_due`, the
campaign's `AB#DECIDE` due entry written when it starts), or by a marketer earlier (`pick`).

The choice is one conditional write on the campaign item (`ab_winner` must not exist yet and
the campaign must have started): of a tick and a marketer racing, or two marketers, exactly one
decides, and every sender reads the same winner ever after, so the rest is mailed once (each
recipient through the send ledger, as any other). Then the batches holding the rest
(`WAIT#`) are released; a crash in between leaves their due entries at the decision's time,
and a tick that finds the decision made releases them then. A batch that holds its rest while
a winner is being picked releases its hold itself (`release_if_decided`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.campaigns import ab_results, ab_stats, waits
from ecrm.mail import send_ledger
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Conflict, InvalidInput, NotFound

logger = Logger(service="mailing", child=True)

DECIDABLE = ("sending", "paused", "done")  # started: its test mails went (or are going) out


def decide_due(key: Mapping[str, str]) -> None:
    """The tick's handler of `AB#DECIDE` (idempotent): decide by the metric, release."""
    campaign_id = keys.campaign_id_of(key["pk"])
    current = store.get(keys.campaign(campaign_id))
    if current and current.get("ab_test") and current.get("state") in DECIDABLE:
        ranked = ab_stats.ranked(ab_results.all_figures(current))
        with contextlib.suppress(Conflict):  # a marketer picked one meanwhile
            _decide(campaign_id, ranked[0].variant, "tick", current)
        release_waits(campaign_id)
    store.write(
        store.Update(
            key,
            "SET decided_at = :now REMOVE gsi1pk, gsi1sk",
            values={":now": clock.iso(clock.now())},
        )
    )


def pick(campaign_id: str, variant: str) -> dict[str, Any]:
    """A marketer's choice; choosing the winner already chosen again changes nothing."""
    current = store.get(keys.campaign(campaign_id))
    if current is None or current.get("type") != "campaign":
        raise NotFound("No such campaign.")
    spec = current.get("ab_test")
    if not spec:
        raise InvalidInput("This campaign has no A/B test.", {"variant": "no A/B test"})
    if variant not in {v["id"] for v in spec["variants"]}:
        raise InvalidInput("No such variant.", {"variant": "not one of the campaign's variants"})
    if current.get("ab_winner") != variant:
        _decide(campaign_id, variant, "marketer", current)
    release_waits(campaign_id)
    return current


def _decide(campaign_id: str, variant: str, by: str, read: Mapping[str, Any]) -> None:
    figures = {f.variant: round(f.rate, 4) for f in ab_results.all_figures(read)}
    decision = {
        "winner": variant,
        "decided_by": by,
        "decided_at": clock.iso(clock.now()),
        "figures": figures,
    }
    states = {f":s{i}": s for i, s in enumerate(DECIDABLE)}
    try:
        store.write(
            store.Update(
                keys.campaign(campaign_id),
                "SET ab_winner = :winner, ab_decision = :decision",
                condition=f"attribute_not_exists(ab_winner) AND #state IN ({', '.join(states)})",
                names={"#state": "state"},
                values={":winner": variant, ":decision": decision, **states},
            )
        )
    except store.ConditionFailed:
        now = store.get(keys.campaign(campaign_id)) or {}
        if now.get("ab_winner") == variant:
            return  # the same choice, made by a racing call
        if now.get("ab_winner"):
            raise Conflict(f"The winner is already {now['ab_winner']}.") from None
        raise Conflict(f"A campaign that is {now.get('state')} cannot pick a winner.") from None
    logger.info("A/B winner chosen", extra={"campaign_id": campaign_id, "by": by})


def release_if_decided(batch: send_ledger.Batch) -> None:
    """After `batch` held its rest for the winner: a winner chosen since the batch read the
    campaign found no hold to release (`pick` writes the winner, then releases the holds it
    finds), so the batch releases its own. One of the two always sees the other's write."""
    current = store.get(keys.campaign(batch.campaign_id))
    if current and current.get("ab_winner"):
        waits.release(keys.campaign_wait(batch.campaign_id, batch.batch_id))


def release_waits(campaign_id: str) -> None:
    """Put the campaign's held batches back on the queue now (idempotent, `waits.release`)."""
    partition = keys.campaign(campaign_id)["pk"]
    for item in store.query_all(partition, sk_prefix=keys.CAMPAIGN_WAITS):
        if "gsi1pk" in item:
            waits.release({"pk": item["pk"], "sk": item["sk"]})
