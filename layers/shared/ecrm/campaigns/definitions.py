"""Campaigns: a template sent to a segment of a topic's members, from a sender, now or at a time.

This module is the campaign itself: its models, reading, creating and deleting. How its state
moves (send, schedule, cancel, pause, resume, the tick) is `ecrm.campaigns.states`; planning
and sending are `ecrm.campaigns.plan` and `ecrm.campaigns.sending`.

A draft campaign holds its template and segment (`ecrm.platform.definition_holds`): neither can be
deleted until the campaign starts (it then sends its own snapshot), is cancelled or deleted.
Deleting is for campaigns that are `draft`, `cancelled` or `done`: one transaction removes the
campaign item, its content snapshot and due entry (and a draft's holds); its send ledger,
audience pages and markers carry `expires_at` and leave with the table's TTL.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from pydantic import ConfigDict, Field, StringConstraints

from ecrm.campaigns import ab_results
from ecrm.campaigns.ab_schema import AbTestIn, AbTestOut
from ecrm.contacts.forms import Slug
from ecrm.mail import senders
from ecrm.mail.senders import SenderIn
from ecrm.platform import clock, definition_holds, keys, listing, store
from ecrm.platform.errors import Conflict, InvalidInput, NotFound
from ecrm.platform.models import Model
from ecrm.segments import definitions

logger = Logger(service="mailing", child=True)

KIND = "campaign"
State = Literal["draft", "scheduled", "sending", "paused", "cancelled", "done"]
# Counters on the campaign item: the sender's (`audience`... `failed`) and the SES events'.
SENDER_COUNTERS = ("audience", "processed", "sent", "skipped", "failed", "shards_planned")
EVENT_COUNTERS = (
    "delivered", "bounced", "soft_bounced", "complained", "opened", "clicked", "unsubscribed",
    "rejected",
)  # fmt: skip


class CampaignIn(Model):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    template_id: Slug
    segment_id: Slug
    topic: Slug | None = Field(default=None, description="Defaults to the segment's topic")
    sender: SenderIn
    ab_test: AbTestIn | None = Field(
        default=None, description="Variants sent to a test share; the winner to the rest"
    )


class Progress(Model):
    audience: int = Field(description="Recipients planned so far")
    processed: int = Field(description="Recipients sent, skipped or failed")
    planning_complete: bool
    percent: float


class Stats(Model):
    sent: int = 0
    skipped: int = Field(
        default=0,
        description="Unsubscribed, suppressed or left the topic, over the frequency cap,"
        " or in an A/B test's holdout",
    )
    skipped_frequency_cap: int = Field(
        default=0, description="Of `skipped`: had their marketing mails for the period already"
    )
    failed: int = Field(default=0, description="Refused by SES for good (address)")
    delivered: int = 0
    bounced: int = 0
    soft_bounced: int = 0
    complained: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    rejected: int = 0


class LocalTimeOut(Model):
    time: str = Field(description="HH:MM on each recipient's own clock")
    on: str = Field(description="The day, YYYY-MM-DD")


class Campaign(Model):
    id: str
    name: str
    template_id: str
    segment_id: str
    topic: str
    sender: SenderIn
    state: State
    paused_reason: str | None = None
    paused_detail: str | None = None
    scheduled_at: str | None = Field(
        default=None, description="When it starts (at a local time: the earliest moment anywhere)"
    )
    local_time: LocalTimeOut | None = Field(
        default=None, description="Sent to each recipient at this time of their own zone"
    )
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    progress: Progress
    stats: Stats
    ab_test: AbTestOut | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Campaign:
        audience, processed = int(item.get("audience", 0)), int(item.get("processed", 0))
        planned = int(item.get("shards_planned", 0)) >= keys.TOPIC_SHARDS
        done = item.get("state") == "done"
        percent = 100.0 if done else (round(100.0 * processed / audience, 1) if audience else 0.0)
        return cls.model_validate(
            {
                **{k: v for k, v in item.items() if k in cls.model_fields},
                "progress": Progress(
                    audience=audience,
                    processed=processed,
                    planning_complete=planned,
                    percent=percent,
                ),
                "stats": Stats.model_validate(
                    {k: int(v) for k, v in item.items() if k in Stats.model_fields}
                ),
                "ab_test": ab_results.shown(item),
            }
        )


# --- reading ----------------------------------------------------------------------------------


def item(campaign_id: str) -> dict[str, Any]:
    found = store.get(keys.campaign(campaign_id))
    if found is None or found.get("type") != KIND:
        raise NotFound("No such campaign.")
    return found


def load(campaign_id: str) -> Campaign:
    return Campaign.from_item(item(campaign_id))


def page(limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
    items, next_cursor = listing.page(KIND, limit=limit, cursor=cursor, newest_first=True)
    return [Campaign.from_item(i) for i in items], next_cursor


# --- creating ---------------------------------------------------------------------------------


def create(body: CampaignIn) -> Campaign:
    problems: dict[str, str] = {}
    if why := senders.off_domain(body.sender.email):
        problems["sender.email"] = why
    template_ok = store.get(keys.mail_template(body.template_id)) is not None
    if not template_ok:
        problems["template_id"] = "No such template."
    segment = None
    try:
        segment = definitions.load(body.segment_id)
    except NotFound:
        problems["segment_id"] = "No such segment."
    topic = body.topic or (segment.topic if segment else "")
    if segment and topic != segment.topic:
        problems["topic"] = f"The segment's members come from topic {segment.topic!r}."
    ab_item = ab_results.checked(body.ab_test, problems) if body.ab_test else None
    if problems:
        raise InvalidInput("The campaign needs attention.", problems)
    at = clock.iso(clock.now())
    campaign_id = secrets.token_hex(8)
    record = {
        **keys.campaign(campaign_id),
        **keys.listing(KIND, f"{at}#{campaign_id}"),
        "type": KIND,
        "id": campaign_id,
        "name": body.name,
        "template_id": body.template_id,
        "segment_id": body.segment_id,
        "topic": topic,
        "sender": body.sender.model_dump(),
        "state": "draft",
        "created_at": at,
        "updated_at": at,
        **dict.fromkeys(SENDER_COUNTERS + EVENT_COUNTERS, 0),
        **({"ab_test": ab_item, "ab_seed": secrets.token_hex(16)} if ab_item else {}),
    }
    holds = [
        *definition_holds.hold(keys.mail_template(body.template_id)),
        *definition_holds.hold(keys.segment(body.segment_id)),
    ]
    for template_id in ab_results.templates(record):  # a variant's own template is held too
        holds += definition_holds.hold(keys.mail_template(template_id))
    try:
        store.transact([store.Put(record, condition="attribute_not_exists(pk)"), *holds])
    except store.TransactionCancelled as cancelled:  # deleted since the checks above
        failed = cancelled.failed
        problems = {"template_id": "No such template."} if failed[1] else {}
        problems |= {"segment_id": "No such segment."} if failed[3] else {}
        if any(failed[4:]):
            problems["ab_test"] = "A variant's template was deleted meanwhile."
        raise InvalidInput("The campaign needs attention.", problems) from None
    return Campaign.from_item(record)


def releases(campaign: Mapping[str, Any]) -> list[store.Write]:
    """What a draft or scheduled campaign gives back when it starts, is cancelled or deleted."""
    return [
        definition_holds.release(keys.mail_template(str(campaign["template_id"]))),
        definition_holds.release(keys.segment(str(campaign["segment_id"]))),
        *(definition_holds.release(keys.mail_template(t)) for t in ab_results.templates(campaign)),
    ]


DELETABLE: tuple[State, ...] = ("draft", "cancelled", "done")


def delete(campaign_id: str) -> None:
    """Delete a draft, cancelled or finished campaign (Conflict otherwise)."""
    current = item(campaign_id)
    state = current["state"]
    if state not in DELETABLE:
        raise Conflict(f"A campaign that is {state} cannot be deleted; cancel it first.")
    writes: list[store.Write] = [
        store.Delete(
            keys.campaign(campaign_id),
            condition="#state = :seen",  # the state read above: no start slips in between
            names={"#state": "state"},
            values={":seen": state},
        ),
        store.Delete(keys.campaign_content(campaign_id)),
        store.Delete(keys.campaign_due(campaign_id)),
        store.Delete(keys.campaign_ab_decision(campaign_id)),
    ]
    if state == "draft":
        writes += releases(current)
    try:
        store.transact(writes)
    except store.TransactionCancelled:
        raise Conflict("The campaign changed meanwhile; reload and try again.") from None
    logger.info("campaign deleted", extra={"campaign_id": campaign_id, "state": state})
