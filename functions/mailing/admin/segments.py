"""`/admin/segments`: create, update, read and list segments; a count preview, of a saved
segment or of a draft (`/admin/segment-preview`, the console's builder as conditions change)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from ecrm.platform import clock
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Query
from ecrm.web.plain import lazy
from ecrm.web.router import Response, Router, content_types
from mailing.admin.params import Cursor, Limit, SegmentId

# The segments' models and this API's (pydantic), imported by the routes that use them: a start
# serving another router's route imports none (docs/design/platform.md, "Cold start").
if TYPE_CHECKING:
    from ecrm.segments import audience, definitions
    from mailing.admin import models
else:
    audience = lazy("ecrm.segments.audience")
    definitions = lazy("ecrm.segments.definitions")
    models = lazy("mailing.admin.models")

router = Router()

SampleSize = Annotated[int, Query(ge=0, le=20, description="How many members to show")]


def _counted(segment: definitions.Segment, sample: int) -> models.SegmentCount:
    found = audience.count(segment, sample=sample)
    return models.SegmentCount(
        candidates=found.candidates,
        members=found.members,
        complete=found.complete,
        queries=found.queries,
        items_read=found.items_read,
        sample=[models.Member(contact_id=m.contact_id, email=m.email) for m in found.sample],
    )


@router.post(
    "/admin/segments",
    summary="Create a segment (a topic's members, narrowed by conditions)",
    responses=admin(409, 415, 422, ok={201: "Created"}),
)
def create_segment(body: models.SegmentCreate) -> Response[definitions.Segment]:
    fields = definitions.SegmentIn.model_validate(body.model_dump(by_alias=True, exclude={"id"}))
    segment = definitions.create(body.id, fields)
    return Response(201, content_types.APPLICATION_JSON, segment)


@router.get("/admin/segments", summary="Segments, by id", responses=admin())
def list_segments(limit: Limit = 50, cursor: Cursor = None) -> models.Page[definitions.Segment]:
    found, next_cursor = definitions.page(limit, cursor)
    return models.Page[definitions.Segment](items=found, next_cursor=next_cursor)


@router.get("/admin/segments/<segment_id>", summary="One segment", responses=admin(404))
def get_segment(segment_id: SegmentId) -> definitions.Segment:
    return definitions.load(segment_id)


@router.put(
    "/admin/segments/<segment_id>", summary="Change a segment", responses=admin(404, 409, 415, 422)
)
def update_segment(segment_id: SegmentId, body: models.SegmentUpdate) -> definitions.Segment:
    fields = definitions.SegmentIn.model_validate(
        body.model_dump(by_alias=True, exclude={"version"})
    )
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
def count_segment(segment_id: SegmentId, sample: SampleSize = 0) -> models.SegmentCount:
    return _counted(definitions.load(segment_id), sample)


@router.post(
    "/admin/segment-preview",
    summary="Count a segment as drafted, unsaved: its audience now and a few members",
    description="Reads as `GET /admin/segments/{segment_id}/count` does; stores nothing.",
    responses=admin(415, 422),
)
def preview_segment(body: models.SegmentDraft) -> models.SegmentCount:
    at = clock.iso(clock.now())
    draft = definitions.Segment(
        id="draft",
        name=body.name or "draft",
        topic=body.topic,
        conditions=body.conditions,
        version=0,
        created_at=at,
        updated_at=at,
    )
    return _counted(draft, body.sample)
