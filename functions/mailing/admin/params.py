"""Path and query parameters shared by the admin routers (their pages: `models.Page`)."""

from __future__ import annotations

from typing import Annotated

from ecrm.web.params import Path, Query

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
TemplateId = Annotated[str, Path(pattern=SLUG, description="Template id")]
SegmentId = Annotated[str, Path(pattern=SLUG, description="Segment id")]
CampaignId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Campaign id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Version = Annotated[int | None, Query(ge=1, description="An earlier version (default: current)")]
Cursor = Annotated[str | None, Query(max_length=2048, description="`next_cursor` of a page")]
