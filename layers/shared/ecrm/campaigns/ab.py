"""A campaign's A/B test as senders read it (plain values, no pydantic: the sender and the SES
events handler import this), and who gets which variant.

A recipient's group is a pure function of the campaign's random seed (`ab_seed`, written once
when the campaign is created) and the contact id: HMAC-SHA256(seed, contact id) read as a
number u in [0, 1). With test share t and holdout share h (fractions):

- u < t: the test group, variant `floor(u / t * n)` of the n variants (an even split);
- t <= u < t + h: the holdout (gets nothing, for lift);
- else: the rest, which gets the winner once it is chosen (`ecrm.campaigns.ab_winner`).

The same recipient lands in the same group and variant on every retry, redelivery, resume or
replan, in any process; the group and variant are also stored on its ledger item.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.platform import clock

TEST, HOLDOUT, REST = "test", "holdout", "rest"
METRICS = ("opens", "clicks", "click_to_open")
# Counted per variant on the campaign item (`counter`): the sender's `recipients` (test
# recipients done: mailed, skipped or failed) and `sent`, the SES events'.
VARIANT_COUNTERS = (
    "recipients",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "unsubscribed",
    "bounced",
    "complained",
)
HOLDOUT_COUNTER = "ab_holdout"
VARIANT_TAG = "variant"  # the SES message tag naming a test mail's variant


@dataclass(frozen=True)
class Variant:
    id: str
    subject: str | None = None
    template_id: str | None = None
    sender_name: str | None = None


@dataclass(frozen=True)
class AbTest:
    variants: tuple[Variant, ...]
    test_percent: float
    holdout_percent: float
    metric: str
    wait_hours: float
    seed: str
    winner: str | None = None
    decide_at: float | None = None  # epoch seconds, set when the campaign starts

    @classmethod
    def of(cls, campaign: Mapping[str, Any]) -> AbTest | None:
        """The campaign item's test, or None for a campaign without one."""
        spec = campaign.get("ab_test")
        if not spec:
            return None
        decide_at = campaign.get("ab_decide_at")
        return cls(
            variants=tuple(
                Variant(
                    id=str(v["id"]),
                    subject=v.get("subject"),
                    template_id=v.get("template_id"),
                    sender_name=v.get("sender_name"),
                )
                for v in spec["variants"]
            ),
            test_percent=float(spec["test_percent"]),
            holdout_percent=float(spec.get("holdout_percent") or 0),
            metric=str(spec["metric"]),
            wait_hours=float(spec["wait_hours"]),
            seed=str(campaign["ab_seed"]),
            winner=campaign.get("ab_winner"),
            decide_at=clock.epoch(str(decide_at)) if decide_at else None,
        )

    def variant(self, variant_id: str) -> Variant:
        return next(v for v in self.variants if v.id == variant_id)


def bucket(seed: str, contact_id: str) -> float:
    """The recipient's place in [0, 1): keyed, so no one can choose a variant by their id."""
    digest = hmac.new(seed.encode(), contact_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def group_of(
    seed: str, contact_id: str, variant_ids: tuple[str, ...], test: float, holdout: float
) -> tuple[str, str | None]:
    """(group, variant id) for shares `test` and `holdout` in percent; the rest has no variant
    of its own (it gets the winner)."""
    u = bucket(seed, contact_id)
    t, h = test / 100, holdout / 100
    if u < t:
        return TEST, variant_ids[min(len(variant_ids) - 1, int(u / t * len(variant_ids)))]
    if u < t + h:
        return HOLDOUT, None
    return REST, None


def assign(test: AbTest, contact_id: str) -> tuple[str, str | None]:
    ids = tuple(v.id for v in test.variants)
    group, variant = group_of(test.seed, contact_id, ids, test.test_percent, test.holdout_percent)
    return group, (test.winner if group == REST else variant)


def is_variant_id(value: object) -> bool:
    """A variant id as `ab_schema.VariantId` allows (a tag read back from an SES event)."""
    return isinstance(value, str) and 0 < len(value) <= 16 and value.isascii() and value.isalnum()


def counter(name: str, variant_id: str) -> str:
    """The campaign item's attribute counting `name` for one variant (`ab_opened_B`)."""
    return f"ab_{name}_{variant_id}"
