"""`/admin/campaigns`: create, read and list campaigns; test send; send now, schedule, cancel,
pause and resume. `GET` shows the state, progress and per-campaign stats; `…/links` the
clicks per link."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.plain import lazy
from ecrm.web.router import Response, Router, content_types
from mailing.admin.params import CampaignId, Cursor, Limit

# The campaigns' models and this API's (pydantic), imported by the routes that use them: a start
# serving another router's route imports none (docs/design/platform.md, "Cold start").
if TYPE_CHECKING:
    from ecrm.campaigns import definitions, states
    from mailing.admin import models
else:
    definitions = lazy("ecrm.campaigns.definitions")
    states = lazy("ecrm.campaigns.states")
    models = lazy("mailing.admin.models")

router = Router()


@router.post(
    "/admin/campaigns",
    summary="Create a campaign (draft): template + segment + topic + sender",
    responses=admin(404, 415, 422, ok={201: "Created"}),
)
def create_campaign(body: definitions.CampaignIn) -> Response[definitions.Campaign]:
    return Response(201, content_types.APPLICATION_JSON, definitions.create(body))


@router.get("/admin/campaigns", summary="Campaigns, newest first", responses=admin())
def list_campaigns(limit: Limit = 50, cursor: Cursor = None) -> models.Page[definitions.Campaign]:
    found, next_cursor = definitions.page(limit, cursor)
    return models.Page[definitions.Campaign](items=found, next_cursor=next_cursor)


@router.get(
    "/admin/campaigns/<campaign_id>",
    summary="A campaign: state, progress, stats",
    responses=admin(404),
)
def get_campaign(campaign_id: CampaignId) -> definitions.Campaign:
    return definitions.load(campaign_id)


@router.get(
    "/admin/campaigns/<campaign_id>/links",
    summary="Clicks per link of a campaign, most clicked first",
    responses=admin(404),
)
def campaign_links(campaign_id: CampaignId) -> models.CampaignLinks:
    from ecrm.campaigns import links  # noqa: PLC0415 - this route only

    definitions.item(campaign_id)  # 404 for no such campaign
    found = links.clicks(campaign_id)
    return models.CampaignLinks(items=[models.LinkClicks(link=link, clicks=n) for link, n in found])


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
def test_campaign(campaign_id: CampaignId, body: models.TestSend) -> models.TestSent:
    from ecrm.campaigns import proofs  # noqa: PLC0415 - MIME and SES for this route only

    ids = proofs.send(
        definitions.item(campaign_id),
        list(body.to),
        http.marketer(router.current_event),
        body.contact_id,
    )
    return models.TestSent(message_ids=ids)


@router.post(
    "/admin/campaigns/<campaign_id>/send",
    summary="Start sending now",
    responses=admin(404, 409, 422, ok={202: "Sending"}),
)
def send_campaign(campaign_id: CampaignId) -> Response[definitions.Campaign]:
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
def schedule_campaign(
    campaign_id: CampaignId, body: models.ScheduleRequest
) -> definitions.Campaign:
    local = body.local()
    if local is not None:
        return states.schedule_local(campaign_id, local)
    assert body.at is not None
    return states.schedule(campaign_id, body.at)


@router.post(
    "/admin/campaigns/<campaign_id>/cancel", summary="Cancel", responses=admin(404, 409, 422)
)
def cancel_campaign(campaign_id: CampaignId) -> definitions.Campaign:
    return states.cancel(campaign_id)


@router.post(
    "/admin/campaigns/<campaign_id>/pause",
    summary="Pause sending",
    responses=admin(404, 409, 422),
)
def pause_campaign(campaign_id: CampaignId) -> definitions.Campaign:
    return states.pause(campaign_id)


@router.post(
    "/admin/campaigns/<campaign_id>/resume",
    summary="Resume a paused campaign (what was sent is never sent again)",
    responses=admin(404, 409, 422),
)
def resume_campaign(campaign_id: CampaignId) -> definitions.Campaign:
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
def pick_winner(campaign_id: CampaignId, body: models.WinnerPick) -> definitions.Campaign:
    from ecrm.campaigns import ab_winner  # noqa: PLC0415 - this route only

    ab_winner.pick(campaign_id, body.variant)
    return definitions.load(campaign_id)
