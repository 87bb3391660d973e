"""A campaign that hurts the sender's reputation stops itself.

SES reviews accounts whose complaint rate reaches 0.1% or bounce rate 5%. A campaign whose own
rates pass those lines while it is `sending` pauses (conditional update `sending -> paused`,
with `paused_reason` and a readable `paused_detail`), so the marketer can look at the list
before the account is at risk. Rates are judged only from a minimum sample
(`AUTO_PAUSE_MIN_SAMPLE`, default 500): complaints over delivered mails, permanent bounces over
sent mails (a bounced mail is never delivered).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.platform import clock, keys, store
from ecrm.platform.settings import settings

logger = Logger(service="mailing", child=True)

COMPLAINT_RATE_LIMIT = 0.001
BOUNCE_RATE_LIMIT = 0.05
SENDING, PAUSED = "sending", "paused"


def unhealthy(campaign: Mapping[str, Any], min_sample: int) -> tuple[str, str] | None:
    """(reason code, detail) when a rate is over its limit on a large enough sample."""
    delivered = int(campaign.get("delivered", 0))
    bounced = int(campaign.get("bounced", 0))
    complained = int(campaign.get("complained", 0))
    sent = max(int(campaign.get("sent", 0)), delivered + bounced)
    if delivered >= min_sample and complained / delivered > COMPLAINT_RATE_LIMIT:
        return "complaint_rate", (
            f"Complaint rate {complained / delivered:.2%} ({complained} of {delivered} delivered)"
            f" is over {COMPLAINT_RATE_LIMIT:.1%}."
        )
    if sent >= min_sample and bounced / sent > BOUNCE_RATE_LIMIT:
        return "bounce_rate", (
            f"Bounce rate {bounced / sent:.2%} ({bounced} of {sent} sent)"
            f" is over {BOUNCE_RATE_LIMIT:.0%}."
        )
    return None


def pause_if_unhealthy(campaign_id: str) -> str | None:
    """Pause a sending campaign whose rates are over the limits; returns the reason code.
    Idempotent: a campaign that is not sending any more is left alone."""
    campaign = store.get(keys.campaign(campaign_id))
    if not campaign or campaign.get("state") != SENDING:
        return None
    verdict = unhealthy(campaign, settings().auto_pause_min_sample)
    if verdict is None:
        return None
    reason, detail = verdict
    try:
        store.write(
            store.Update(
                keys.campaign(campaign_id),
                "SET #state = :paused, paused_reason = :reason, paused_detail = :detail,"
                " paused_at = :at",
                condition="#state = :sending",
                names={"#state": "state"},
                values={
                    ":paused": PAUSED,
                    ":sending": SENDING,
                    ":reason": reason,
                    ":detail": detail,
                    ":at": clock.iso(clock.now()),
                },
            )
        )
    except store.ConditionFailed:
        return None  # paused, cancelled or finished meanwhile
    logger.warning("campaign paused", extra={"campaign_id": campaign_id, "reason": reason})
    return reason
