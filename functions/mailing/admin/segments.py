"""`/admin/segments`: create, update, read and list segments; a count preview."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from ecrm.contacts.forms import Slug
from ecrm.platform.models import Model
from ecrm.segments import audience, definitions
from ecrm.segments.definitions import Segment, SegmentIn
from ecrm.web.openapi_responses import admin
from mailing.admin.params import Cursor, Limit, Page, SegmentId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


class SegmentCreate(SegmentIn):
    id: Slug


class SegmentUpdate(SegmentIn):
    version: int | None = Field(default=None, ge=1, description="The version you edited")


class SegmentCount(Model):
    candidates: int = Field(description="Members of the segment's topic that were read")
    members: int = Field(description="Of those, who match and may be mailed now")
    complete: bool = Field(description="False: the preview stopped early (a very large topic)")


@router.post(
    "/admin/segments",
    summary="Create a segment (a topic's members, narrowed by conditions)",
    responses=admin(409, 415, 422, ok={201: "Created"}),
)
def create_segment(body: SegmentCreate) -> Response[Segment]:
    fields = SegmentIn.model_validate(body.model_dump(by_alias=True, exclude={"id"}))
    segment = definitions.create(body.id, fields)
    return Response(201, content_types.APPLICATION_JSON, segment)


@router.get("/admin/segments", summary="Segments, by id", responses=admin())
def list_segments(limit: Limit = 50, cursor: Cursor = None) -> Page[Segment]:
    found, next_cursor = definitions.page(limit, cursor)
    return Page[Segment](items=found, next_cursor=next_cursor)


@router.get("/admin/segments/<segment_id>", summary="One segment", responses=admin(404))
def get_segment(segment_id: SegmentId) -> Segment:
    return definitions.load(segment_id)


@router.put(
    "/admin/segments/<segment_id>", summary="Change a segment", responses=admin(404, 409, 415, 422)
)
def update_segment(segment_id: SegmentId, body: SegmentUpdate) -> Segment:
    fields = SegmentIn.model_validate(body.model_dump(by_alias=True, exclude={"version"}))
    return definitions.update(segment_id, fields, body.version)


@router.delete(
    "/admin/segments/<segment_id>",
    summary="Delete a segment nothing uses",
    responses=admin(404, 409, ok={204: "Deleted"}),
)
def delete_segment(segment_id: SegmentId) -> Response[None]:
    definitions.delete(segment_id)
    return Response(204)


@router.get(
    "/admin/segments/<segment_id>/count",
    summary="How many contacts the segment holds now (reads the topic's members, never scans)",
    responses=admin(404),
)
def count_segment(segment_id: SegmentId) -> SegmentCount:
    found = audience.count(definitions.load(segment_id))
    return SegmentCount(candidates=found.candidates, members=found.members, complete=found.complete)
