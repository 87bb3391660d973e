"""A batch of an A/B campaign, before its recipients are judged (`ecrm.campaigns.recipients`):
each gets its group and variant (`ecrm.campaigns.ab.assign`, stored on its ledger item by
`send_ledger.ledger`). The holdout is skipped (reason `holdout`, nothing sent). The rest waits
for the winner: nothing is claimed for them and the batch is held (`ecrm.campaigns.waits`, as
quiet hours hold it) until the decision's time; a batch released before the winner is chosen
(the decision's tick failed) is held again a minute later, so nobody is lost meanwhile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.campaigns import ab, recipients
from ecrm.campaigns import content as campaign_content
from ecrm.mail import send_ledger

HOLDOUT_REASON = "holdout"
RECHECK_SECONDS = 60  # a batch back before its winner: held again for this long


def split(
    batch: send_ledger.Batch, todo: list[send_ledger.Todo], test: ab.AbTest, now: float
) -> list[send_ledger.Todo]:
    """The recipients to send to now (test group, and the rest once a winner is chosen)."""
    ready = []
    for entry in todo:
        group, variant = ab.assign(test, entry.contact_id)
        if group == ab.REST and variant is None:
            until = max(test.decide_at or now, now + RECHECK_SECONDS)
            batch.held_until = min(batch.held_until or until, until)
            continue
        batch.variants[entry.contact_id] = (group, variant)
        if group == ab.HOLDOUT:
            recipients.skip(batch, entry, HOLDOUT_REASON)
        else:
            ready.append(entry)
    return ready


def count_test(batch: send_ledger.Batch, test: ab.AbTest) -> None:
    """Count the batch's test mails and holdout per variant once all of them are done (some
    may still wait for quiet hours to end), before the rest is mailed."""
    for contact_id, _ in batch.recipients:
        if send_ledger.erased(contact_id) or contact_id in batch.outcomes:
            continue
        if ab.assign(test, contact_id)[0] != ab.REST:
            return  # a test or holdout recipient is not done yet
    send_ledger.tally_test(batch)


Variant = tuple[str | None, bool]  # (variant id, tagged: a test mail)


def variant_of(batch: send_ledger.Batch, contact_id: str) -> Variant:
    group, variant = batch.variants.get(contact_id, ("", None))
    return variant, group == ab.TEST


def contents(
    campaign: Mapping[str, Any], batch: send_ledger.Batch, todo: list[send_ledger.Todo]
) -> dict[Variant, campaign_content.Content]:
    """An A/B batch's variants' contents (compiled once per process)."""
    wanted = {variant_of(batch, e.contact_id) for e in todo} - {(None, False)}
    return {
        (v, tagged): campaign_content.for_campaign(campaign, v, tagged=tagged)
        for v, tagged in wanted
    }


def by_variant(
    batch: send_ledger.Batch, ready: list[send_ledger.Todo]
) -> dict[Variant, list[send_ledger.Todo]]:
    groups: dict[Variant, list[send_ledger.Todo]] = {}
    for entry in ready:
        groups.setdefault(variant_of(batch, entry.contact_id), []).append(entry)
    return groups
