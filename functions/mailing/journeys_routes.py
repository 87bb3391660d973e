"""`/admin/journeys`: multi-step automated mailings (`ecrm.journeys`), served by the automations
admin function. Marketers write drafts and publish versions; viewers read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from ecrm.journeys import stats
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Path, Query
from ecrm.web.plain import lazy
from ecrm.web.router import Response, Router

if TYPE_CHECKING:
    from ecrm.journeys import definitions, model
else:
    definitions = lazy("ecrm.journeys.definitions")
    model = lazy("ecrm.journeys.model")

router = Router()

JourneyId = Annotated[str, Path(pattern=r"^jo_[0-9a-f]{12}$", description="Journey id")]
Version = Annotated[int, Path(ge=1, le=999_999, description="A published version")]
Seen = Annotated[
    int | None,
    Query(ge=1, description="The draft's `version` you read: 409 if someone saved it since"),
]


@router.get(
    "/admin/journeys",
    summary="Every journey (drafts and live ones) with its entries and conversions",
    responses=admin(),
)
def list_journeys() -> dict[str, list[definitions.Listed]]:
    return {"items": definitions.listed()}


@router.post(
    "/admin/journeys",
    summary="Create a journey (a draft: publish it to let contacts enter)",
    responses=admin(415, 422, ok={201: "Created"}),
)
def create_journey(body: model.JourneyIn) -> Response[definitions.Journey]:
    return Response(201, "application/json", definitions.create(body))


@router.get("/admin/journeys/<journey_id>", summary="One journey", responses=admin(404))
def get_journey(journey_id: JourneyId) -> definitions.Journey:
    return definitions.load(journey_id)


@router.put(
    "/admin/journeys/<journey_id>",
    summary="Replace a journey's draft (send `version`: 409 when someone changed it meanwhile)",
    description="Runs in flight and new entries keep the live version until you publish.",
    responses=admin(404, 409, 415, 422),
)
def update_journey(journey_id: JourneyId, body: model.JourneyIn) -> definitions.Journey:
    return definitions.update(journey_id, body)


@router.post(
    "/admin/journeys/<journey_id>/publish",
    summary="Publish the draft as a new version: contacts enter it from now on",
    responses=admin(404, 409, 422, ok={201: "Created"}),
)
def publish_journey(
    journey_id: JourneyId, version: Seen = None
) -> Response[definitions.PublishedVersion]:
    return Response(201, "application/json", definitions.publish(journey_id, version))


@router.post(
    "/admin/journeys/<journey_id>/stop",
    summary="Stop entries (runs in flight finish on their version)",
    responses=admin(404),
)
def stop_journey(journey_id: JourneyId) -> definitions.Journey:
    return definitions.stop(journey_id)


@router.get(
    "/admin/journeys/<journey_id>/versions/<version>",
    summary="One published version of a journey",
    responses=admin(404),
)
def get_journey_version(journey_id: JourneyId, version: Version) -> definitions.PublishedVersion:
    return definitions.published(journey_id, version)


@router.get(
    "/admin/journeys/<journey_id>/stats",
    summary="What each step did, per version: entered, waiting, passed, exited, converted, mail",
    responses=admin(404),
)
def get_journey_stats(journey_id: JourneyId) -> dict[str, Any]:
    definitions.load(journey_id)  # 404 for a journey that does not exist
    versions = stats.of(journey_id)
    return {"journey_id": journey_id, "versions": {str(n): s for n, s in sorted(versions.items())}}
