"""`/admin/campaigns`: create, read and list campaigns; test send; send now, schedule, cancel,
pause and resume. `GET` shows the state, progress and per-campaign stats; `…/links` the
clicks per link."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from ecrm.campaigns import definitions, states
from ecrm.campaigns.definitions import Campaign, CampaignIn
from ecrm.campaigns.local_time import LocalTime
from ecrm.mail.send_policy import Clock
from ecrm.mail.send_policy_view import minutes
from ecrm.platform.errors import InvalidInput
from ecrm.platform.models import Email, Model
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.router import Response, Router, content_types
from mailing.admin.params import CampaignId, Cursor, Limit, Page

router = Router()


class TestSend(Model):
    model_config = ConfigDict(extra="forbid")

    to: list[Email] = Field(min_length=1, max_length=5)
    contact_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,64}$")] | None = Field(
        default=None, description="Personalise as this contact (default: an address only)"
    )


class TestSent(Model):
    message_ids: list[str]


class LinkClicks(Model):
    link: str = Field(
        description="The link as the template writes it (no query), `unsubscribe`, or"
        " `personalised` (links the template builds per recipient, counted together)"
    )
    clicks: int = Field(description="Clicks by people (link scanners left out)")


class CampaignLinks(Model):
    items: list[LinkClicks]


class WinnerPick(Model):
    model_config = ConfigDict(extra="forbid")

    variant: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,16}$")] = Field(
        description="The variant to send to the rest of the audience"
    )


class ScheduleRequest(Model):
    """`at` a moment, or `local_time` on the day `on`: each recipient at that time of their own
    zone (docs/design/sending-policy.md, "Send at a local time")."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        default=None, description="When to start sending (with a time zone); or `local_time`"
    )
    local_time: Clock | None = Field(
        default=None, description="Each recipient at this time of their own zone (with `on`)"
    )
    on: date | None = Field(default=None, description="The day of `local_time`, YYYY-MM-DD")

    def local(self) -> LocalTime | None:
        """The local time asked for (None: `at`); InvalidInput unless exactly one is given."""
        if self.at is not None and (self.local_time or self.on):
            problems = {f: "not with `at`" for f in ("local_time", "on") if getattr(self, f)}
            raise InvalidInput("Give either `at` or `local_time` with `on`.", problems)
        if self.at is not None:
            return None
        if self.local_time is None or self.on is None:
            missing = {f: "Field required" for f in ("local_time", "on") if not getattr(self, f)}
            if len(missing) == 2:
                missing = {"at": "Field required (or `local_time` with `on`)"}
            raise InvalidInput("Give either `at` or `local_time` with `on`.", missing)
        return LocalTime(minutes(self.local_time), self.on)


@router.post(
    "/admin/campaigns",
    summary="Create a campaign (draft): template + segment + topic + sender",
    responses=admin(404, 415, 422, ok={201: "Created"}),
)
def create_campaign(body: CampaignIn) -> Response[Campaign]:
    return Response(201, content_types.APPLICATION_JSON, definitions.create(body))


@router.get("/admin/campaigns", summary="Campaigns, newest first", responses=admin())
def list_campaigns(limit: Limit = 50, cursor: Cursor = None) -> Page[Campaign]:
    found, next_cursor = definitions.page(limit, cursor)
    return Page[Campaign](items=found, next_cursor=next_cursor)


@router.get(
    "/admin/campaigns/<campaign_id>",
    summary="A campaign: state, progress, stats",
    responses=admin(404),
)
def get_campaign(campaign_id: CampaignId) -> Campaign:
    return definitions.load(campaign_id)


@router.get(
    "/admin/campaigns/<campaign_id>/links",
    summary="Clicks per link of a campaign, most clicked first",
    responses=admin(404),
)
def campaign_links(campaign_id: CampaignId) -> CampaignLinks:
    from ecrm.campaigns import links  # noqa: PLC0415 - this route only

    definitions.item(campaign_id)  # 404 for no such campaign
    found = links.clicks(campaign_id)
    return CampaignLinks(items=[LinkClicks(link=link, clicks=n) for link, n in found])


@router.delete(
    "/admin/campaigns/<campaign_id>",
    summary="Delete a draft, cancelled or finished campaign (its send records expire by TTL)",
    responses=admin(404, 409, ok={204: "Deleted"}),
)
def delete_campaign(campaign_id: CampaignId) -> Response[None]:
    definitions.delete(campaign_id)
    return Response(204)


@router.post(
    "/admin/campaigns/<campaign_id>/test",
    summary="Send the campaign to a few addresses now ([Test] subject, no ledger, no stats)",
    description=(
        "Refuses (422, each in `fields` as `to.<index>`) addresses that are suppressed"
        " (unsubscribed from everything, erased, bounced, complained) or whose contact"
        " unsubscribed or left the campaign's topic; nothing is sent then. Each marketer may"
        " send `TEST_MAILS_PER_HOUR` test mails per hour (default 50; one per address): over"
        " it, 429 with `Retry-After` and nothing sent."
    ),
    responses=admin(404, 415, 422, 429),
)
def test_campaign(campaign_id: CampaignId, body: TestSend) -> TestSent:
    from ecrm.campaigns import proofs  # noqa: PLC0415 - MIME and SES for this route only

    ids = proofs.send(
        definitions.item(campaign_id),
        list(body.to),
        http.marketer(router.current_event),
        body.contact_id,
    )
    return TestSent(message_ids=ids)


@router.post(
    "/admin/campaigns/<campaign_id>/send",
    summary="Start sending now",
    responses=admin(404, 409, 422, ok={202: "Sending"}),
)
def send_campaign(campaign_id: CampaignId) -> Response[Campaign]:
    return Response(202, content_types.APPLICATION_JSON, states.send_now(campaign_id))


@router.post(
    "/admin/campaigns/<campaign_id>/schedule",
    summary="Send at a time, or at a time of each recipient's own zone",
    description=(
        '`{"at": "2026-12-08T09:00:00+01:00"}` starts the campaign then.'
        ' `{"local_time": "09:00", "on": "2026-12-08"}` mails each recipient when their'
        " clock shows 09:00 that day (their profile's `time_zone`, else their single-zone"
        " `country`, else the account's zone): the campaign starts at the earliest such moment"
        " anywhere and sends in waves; a recipient whose 09:00 has passed is mailed at once."
        " 422 for both or neither, a time that has passed everywhere, a day beyond a year, or"
        " a campaign with an A/B test; nothing is written then."
    ),
    responses=admin(404, 409, 415, 422),
)
def schedule_campaign(campaign_id: CampaignId, body: ScheduleRequest) -> Campaign:
    local = body.local()
    if local is not None:
        return states.schedule_local(campaign_id, local)
    assert body.at is not None
    return states.schedule(campaign_id, body.at)


@router.post(
    "/admin/campaigns/<campaign_id>/cancel", summary="Cancel", responses=admin(404, 409, 422)
)
def cancel_campaign(campaign_id: CampaignId) -> Campaign:
    return states.cancel(campaign_id)


@router.post(
    "/admin/campaigns/<campaign_id>/pause",
    summary="Pause sending",
    responses=admin(404, 409, 422),
)
def pause_campaign(campaign_id: CampaignId) -> Campaign:
    return states.pause(campaign_id)


@router.post(
    "/admin/campaigns/<campaign_id>/resume",
    summary="Resume a paused campaign (what was sent is never sent again)",
    responses=admin(404, 409, 422),
)
def resume_campaign(campaign_id: CampaignId) -> Campaign:
    return states.resume(campaign_id)


@router.post(
    "/admin/campaigns/<campaign_id>/winner",
    summary="Pick an A/B test's winner now: it goes to the rest of the audience, once",
    description=(
        "Before the wait ends. Picking the winner already chosen again changes nothing; another"
        " variant once one is chosen (by a marketer or when the wait ended) is 409, as is a"
        " campaign that has not started."
    ),
    responses=admin(404, 409, 415, 422),
)
def pick_winner(campaign_id: CampaignId, body: WinnerPick) -> Campaign:
    from ecrm.campaigns import ab_winner  # noqa: PLC0415 - this route only

    ab_winner.pick(campaign_id, body.variant)
    return definitions.load(campaign_id)
