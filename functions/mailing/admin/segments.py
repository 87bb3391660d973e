"""`/admin/segments`: create, update, read and list segments; a count preview, of a saved
segment or of a draft (`/admin/segment-preview`, the console's builder as conditions change)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from ecrm.contacts.forms import Slug
from ecrm.platform import clock
from ecrm.platform.models import Model
from ecrm.segments import audience, definitions
from ecrm.segments.definitions import Condition, Segment, SegmentIn
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Query
from ecrm.web.router import Response, Router, content_types
from mailing.admin.params import Cursor, Limit, Page, SegmentId

router = Router()


class SegmentCreate(SegmentIn):
    id: Slug


class SegmentUpdate(SegmentIn):
    version: int | None = Field(default=None, ge=1, description="The version you edited")


class Member(Model):
    contact_id: str
    email: str


class SegmentCount(Model):
    candidates: int = Field(description="Members of the segment's topic that were read")
    members: int = Field(description="Of those, who match and may be mailed now")
    complete: bool = Field(description="False: the preview stopped early (a very large topic)")
    queries: int = Field(description="Index Query calls it made (no Scan)")
    items_read: int = Field(
        description="Items it looked up: a contact per candidate (and its score item when a"
        " condition needs one), two suppression keys per match"
    )
    sample: list[Member] = Field(description="The first members found (at most `sample`)")


class SegmentDraft(Model):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(max_length=200)] = ""
    topic: Slug = Field(description="Candidates are this topic's members")
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    sample: int = Field(default=10, ge=0, le=20, description="How many members to show")


SampleSize = Annotated[int, Query(ge=0, le=20, description="How many members to show")]


def _counted(segment: Segment, sample: int) -> SegmentCount:
    found = audience.count(segment, sample=sample)
    return SegmentCount(
        candidates=found.candidates,
        members=found.members,
        complete=found.complete,
        queries=found.queries,
        items_read=found.items_read,
        sample=[Member(contact_id=m.contact_id, email=m.email) for m in found.sample],
    )


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
def count_segment(segment_id: SegmentId, sample: SampleSize = 0) -> SegmentCount:
    return _counted(definitions.load(segment_id), sample)


@router.post(
    "/admin/segment-preview",
    summary="Count a segment as drafted, unsaved: its audience now and a few members",
    description="Reads as `GET /admin/segments/{segment_id}/count` does; stores nothing.",
    responses=admin(415, 422),
)
def preview_segment(body: SegmentDraft) -> SegmentCount:
    at = clock.iso(clock.now())
    draft = Segment(
        id="draft",
        name=body.name or "draft",
        topic=body.topic,
        conditions=body.conditions,
        version=0,
        created_at=at,
        updated_at=at,
    )
    return _counted(draft, body.sample)
