"""Campaigns: a template sent to a segment of a topic's members, from a sender, now or at a time.

States (`keys.campaign` item `state`):

    draft ──send──▶ sending ──(all processed)──▶ done
      │               │  ▲
      └─schedule─▶ scheduled ──(due: tick)──▶ sending
                      │        pause │  │ resume (replans)
                      │              ▼  │
                      │            paused (marketer, or the automatic pause: `paused_reason`)
    draft, scheduled, sending, paused ──cancel──▶ cancelled

Starting (send now, the tick for a scheduled one, resume) is one transaction: the state
becomes `sending`, the template and segment as they are now are copied into
`CAMPAIGN#id/CONTENT` (edits made while it sends change nothing) and a due entry
(`keys.campaign_due`) is written for now. Then one plan message per topic shard goes to the
campaign queue and the due entry leaves the index. A crash between the two leaves the due entry
in place: the next schedule tick finds it and fans out again, which is harmless (pages and
batches are idempotent, see
`ecrm.campaign_sending`).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ecrm import campaign_plan, clock, keys, listing, mail_templates, segments, store
from ecrm.errors import Busy, Conflict, InvalidInput, NotFound
from ecrm.forms import Slug
from ecrm.settings import settings

logger = Logger(service="mailing", child=True)

KIND = "campaign"
State = Literal["draft", "scheduled", "sending", "paused", "cancelled", "done"]
# Counters on the campaign item: the sender's (`audience`... `failed`) and the SES events'.
SENDER_COUNTERS = ("audience", "processed", "sent", "skipped", "failed", "shards_planned")
EVENT_COUNTERS = (
    "delivered", "bounced", "soft_bounced", "complained", "opened", "clicked", "unsubscribed",
    "rejected",
)  # fmt: skip
MAX_SCHEDULE_DAYS = 365


class SenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\r\n<>]+$")]
    reply_to: EmailStr | None = None


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    template_id: Slug
    segment_id: Slug
    topic: Slug | None = Field(default=None, description="Defaults to the segment's topic")
    sender: SenderIn


class Progress(BaseModel):
    audience: int = Field(description="Recipients planned so far")
    processed: int = Field(description="Recipients sent, skipped or failed")
    planning_complete: bool
    percent: float


class Stats(BaseModel):
    sent: int = 0
    skipped: int = Field(default=0, description="Unsubscribed, suppressed or left the topic")
    failed: int = Field(default=0, description="Refused by SES for good (address)")
    delivered: int = 0
    bounced: int = 0
    soft_bounced: int = 0
    complained: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    rejected: int = 0


class Campaign(BaseModel):
    id: str
    name: str
    template_id: str
    segment_id: str
    topic: str
    sender: SenderIn
    state: State
    paused_reason: str | None = None
    paused_detail: str | None = None
    scheduled_at: str | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    progress: Progress
    stats: Stats

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
    domain = settings().sending_domain.lower()
    if body.sender.email.lower().rpartition("@")[2] != domain:
        problems["sender.email"] = f"Campaigns are sent from the verified domain {domain}."
    template_ok = store.get(keys.mail_template(body.template_id)) is not None
    if not template_ok:
        problems["template_id"] = "No such template."
    segment = None
    try:
        segment = segments.load(body.segment_id)
    except NotFound:
        problems["segment_id"] = "No such segment."
    topic = body.topic or (segment.topic if segment else "")
    if segment and topic != segment.topic:
        problems["topic"] = f"The segment's members come from topic {segment.topic!r}."
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
    }
    store.write(store.Put(record, condition="attribute_not_exists(pk)"))
    return Campaign.from_item(record)


# --- state changes ----------------------------------------------------------------------------


def _transition(
    campaign_id: str,
    allowed: tuple[State, ...],
    sets: str,
    values: Mapping[str, Any],
    remove: str = "",
) -> store.Update:
    placeholders = {f":from{i}": state for i, state in enumerate(allowed)}
    return store.Update(
        keys.campaign(campaign_id),
        f"SET {sets}, updated_at = :now" + (f" REMOVE {remove}" if remove else ""),
        condition=f"#state IN ({', '.join(placeholders)})",
        names={"#state": "state"},
        values={**placeholders, **values, ":now": clock.iso(clock.now())},
        return_old=True,
    )


def _refuse(campaign_id: str, action: str, old: Mapping[str, Any] | None) -> Conflict:
    if old is None and store.get(keys.campaign(campaign_id)) is None:
        raise NotFound("No such campaign.")
    state = (old or {}).get("state", "?")
    return Conflict(f"A campaign that is {state} cannot be {action}.")


def _change(campaign_id: str, action: str, writes: list[store.Write]) -> None:
    try:
        store.transact(writes)
    except store.TransactionCancelled as cancelled:
        raise _refuse(campaign_id, action, cancelled.old_items[0]) from None


def _due(campaign_id: str, at: str) -> store.Put:
    key = keys.campaign_due(campaign_id)
    return store.Put(
        {**key, **keys.due(at, key), "type": "campaign_due", "campaign_id": campaign_id}
    )


def _content(campaign: Mapping[str, Any]) -> store.Put:
    template = mail_templates.load(campaign["template_id"])
    segment = segments.load(campaign["segment_id"])
    record = {
        **keys.campaign_content(campaign["id"]),
        "type": "campaign_content",
        "template": template.model_dump(),
        "segment": segment.model_dump(mode="json", by_alias=True),
    }
    return store.Put(record, condition="attribute_not_exists(pk)")


def send_now(campaign_id: str) -> Campaign:
    current = item(campaign_id)
    now = clock.iso(clock.now())
    writes: list[store.Write] = [
        _transition(
            campaign_id,
            ("draft", "scheduled"),
            "#state = :sending, started_at = :now",
            {":sending": "sending"},
            remove="scheduled_at",
        ),
        _content(current),
        _due(campaign_id, now),
    ]
    _start(campaign_id, "sent", writes)
    return load(campaign_id)


def schedule(campaign_id: str, at: datetime) -> Campaign:
    now = datetime.fromtimestamp(clock.now(), UTC)
    if at <= now or at > now + timedelta(days=MAX_SCHEDULE_DAYS):
        raise InvalidInput(
            "Choose a time in the future, within a year.", {"at": "not in the next 365 days"}
        )
    when = clock.iso(at.timestamp())
    update = _transition(
        campaign_id,
        ("draft", "scheduled"),
        "#state = :scheduled, scheduled_at = :at",
        {":scheduled": "scheduled", ":at": when},
    )
    _change(campaign_id, "scheduled", [update, _due(campaign_id, when)])
    return load(campaign_id)


def cancel(campaign_id: str) -> Campaign:
    update = _transition(
        campaign_id,
        ("draft", "scheduled", "sending", "paused"),
        "#state = :cancelled, cancelled_at = :now",
        {":cancelled": "cancelled"},
    )
    _change(campaign_id, "cancelled", [update, store.Delete(keys.campaign_due(campaign_id))])
    return load(campaign_id)


def pause(campaign_id: str) -> Campaign:
    update = _transition(
        campaign_id,
        ("sending",),
        "#state = :paused, paused_reason = :reason, paused_detail = :detail, paused_at = :now",
        {":paused": "paused", ":reason": "marketer", ":detail": "Paused by a marketer."},
    )
    _change(campaign_id, "paused", [update])
    return load(campaign_id)


def resume(campaign_id: str) -> Campaign:
    """Back to sending: the fan-out runs again over the stored pages, so batches dropped while
    paused come back, and batches already counted are skipped."""
    now = clock.iso(clock.now())
    update = _transition(
        campaign_id,
        ("paused",),
        "#state = :sending",
        {":sending": "sending"},
        remove="paused_reason, paused_detail, paused_at",
    )
    _start(campaign_id, "resumed", [update, _due(campaign_id, now)])
    return load(campaign_id)


def _start(campaign_id: str, action: str, writes: list[store.Write]) -> None:
    _change(campaign_id, action, writes)
    try:
        campaign_plan.fan_out(campaign_id)
    except Busy:  # the due entry stays: the next schedule tick fans out
        logger.warning("fan-out deferred to the schedule tick", extra={"campaign_id": campaign_id})


def start_due(key: Mapping[str, str]) -> None:
    """The schedule tick found a campaign's due entry: start it (scheduled), finish a fan-out
    that a crash interrupted (sending), or drop the entry (anything else)."""
    campaign_id = str(key["pk"]).removeprefix("CAMPAIGN#")
    current = store.get(keys.campaign(campaign_id))
    state = current.get("state") if current else None
    if state == "scheduled":
        with contextlib.suppress(Conflict):  # cancelled or started meanwhile
            send_now(campaign_id)
        return
    if state == "sending":
        campaign_plan.fan_out(campaign_id)
        return
    store.transact([store.Delete(keys.campaign_due(campaign_id))])
