"""What one stream record counts: the aggregate item it moves and by how much.

Day items (`keys.trend_day`) hold the counters of one UTC day as maps of `group -> key -> n`;
the gauges item (`keys.trend_gauges`) holds counts of now (contacts per stage and per score
bucket), moved -1/+1 by each change of a score item. Every record moves exactly one aggregate
item, so a batch is one write per aggregate item it touches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecrm.platform import keys

# Day item groups.
TOTALS = "totals"  # signups, confirmed, unsubscribed
SIGNUPS_BY_FORM = "signups_by_form"
SIGNUPS_BY_SOURCE = "signups_by_source"
STAGE_ENTERED = "stage_entered"
CAMPAIGN_OUTCOMES = (
    "sent",
    "delivered",
    "bounced",
    "soft_bounced",
    "complained",
    "opened",
    "clicked",
    "unsubscribed",
)
# Gauges item groups.
STAGE = "stage"
SCORE_BUCKET = "score_bucket"

NO_SOURCE = "(none)"
BUCKET_WIDTH = 10
BUCKET_LOWEST, BUCKET_HIGHEST = -10, 100  # "-10" holds every negative score, "100" all >= 100
_KEY_LENGTH = 64

# The interaction and item types the stream consumer's FilterCriteria let through.
_MAIL_OUTCOMES = {
    "email_delivered": "delivered",
    "email_complained": "complained",
    "email_opened": "opened",
    "email_clicked": "clicked",
}
_HUMAN_ONLY = {"email_opened", "email_clicked"}


def campaign_group(outcome: str) -> str:
    """The day item's map of one campaign outcome, by campaign id."""
    return f"campaign_{outcome}"


@dataclass(frozen=True)
class Change:
    """One stream record, as the domain sees it: its id (stable across redeliveries), what
    happened to the item, and the item before and after."""

    id: str
    kind: str  # INSERT | MODIFY | REMOVE
    new: Mapping[str, Any] | None = None
    old: Mapping[str, Any] | None = None


@dataclass
class Count:
    change_id: str
    target: dict[str, str]
    deltas: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, group: str, key: str, n: int = 1) -> None:
        if n:
            pair = (group, key[:_KEY_LENGTH])
            self.deltas[pair] = self.deltas.get(pair, 0) + n
            if not self.deltas[pair]:
                del self.deltas[pair]


def day_of(at: Any) -> str | None:
    text = str(at or "")
    return text[:10] if len(text) >= 10 and text[4] == "-" and text[7] == "-" else None


def score_bucket(score: Any) -> str:
    try:
        value = float(score)
    except (TypeError, ValueError):
        value = 0.0
    if math.isnan(value):
        value = 0.0
    floor = math.floor(value / BUCKET_WIDTH) * BUCKET_WIDTH
    return str(min(max(floor, BUCKET_LOWEST), BUCKET_HIGHEST))


# A source is a campaign label (`google`, `newsletter-2026-05`), not free text: day counters are
# kept for good and outlive an erasure, so what a visitor typed into the URL is counted only as
# such a label; an address, a phone number or any other text is counted as `UNLISTED_SOURCE`.
_SOURCE_LABEL = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_DIGIT_RUN = re.compile(r"\d{5,}")
UNLISTED_SOURCE = "(unlisted)"


def source_of(item: Mapping[str, Any]) -> str:
    tracking = item.get("tracking") or {}
    source = tracking.get("utm_source") if isinstance(tracking, Mapping) else None
    label = str(source or "").strip().lower()
    if not label:
        return NO_SOURCE
    if not _SOURCE_LABEL.fullmatch(label) or _DIGIT_RUN.search(label):
        return UNLISTED_SOURCE
    return label


def count(change: Change) -> Count | None:
    """What the change counts; None when it counts nothing (a score that stayed in its stage
    and bucket, a mail event of no campaign, an item of another kind)."""
    item = change.new if change.kind != "REMOVE" else change.old
    if not item:
        return None
    if item.get("sk") == "SCORE":
        return _gauges(change)
    if change.kind != "INSERT":
        return None
    day = day_of(item.get("at"))
    if day is None:
        return None
    counted = Count(change.id, keys.trend_day(day))
    _count_on_day(counted, item)
    return counted if counted.deltas else None


def _count_on_day(counted: Count, item: Mapping[str, Any]) -> None:
    kind = item.get("type")
    campaign_id = str(item.get("campaign_id") or "")
    if kind == "form_submitted":
        counted.add(TOTALS, "signups")
        counted.add(SIGNUPS_BY_FORM, str(item.get("form_id") or "(unknown)"))
        counted.add(SIGNUPS_BY_SOURCE, source_of(item))
    elif kind == "confirmed":
        counted.add(TOTALS, "confirmed")
    elif kind == "unsubscribed":
        counted.add(TOTALS, "unsubscribed")
        if campaign_id:
            counted.add(campaign_group("unsubscribed"), campaign_id)
    elif kind == "stage_changed":
        counted.add(STAGE_ENTERED, str(item.get("to_stage") or "(unknown)"))
    elif kind == "campaign_batch":
        campaign_id = keys.campaign_id_of(str(item.get("pk", "")))
        counted.add(campaign_group("sent"), campaign_id, _number(item.get("sent")))
    elif campaign_id and kind == "email_bounced":
        outcome = "bounced" if item.get("permanent") else "soft_bounced"
        counted.add(campaign_group(outcome), campaign_id)
    elif campaign_id and kind in _MAIL_OUTCOMES:
        if item.get("scanner") and kind in _HUMAN_ONLY:
            return  # a link scanner's open or click: not a person's
        counted.add(campaign_group(_MAIL_OUTCOMES[str(kind)]), campaign_id)


def _gauges(change: Change) -> Count | None:
    counted = Count(change.id, keys.trend_gauges())
    for image, sign in ((change.old, -1), (change.new, +1)):
        if image:  # INSERT has no old image, REMOVE no new one
            counted.add(STAGE, str(image.get("stage") or "(unknown)"), sign)
            counted.add(SCORE_BUCKET, score_bucket(image.get("score")), sign)
    return counted if counted.deltas else None


def _number(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
