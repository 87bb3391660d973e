"""Marketer API for contacts (marketers only): imports of uploaded CSV files (`ecrm.imports.jobs`,
worked through by `capture.import_worker`), the export of a segment's or a topic's contacts,
page by page (`ecrm.contacts.export`), the one contact an address leads to
(`ecrm.contacts.lookup`), and the profile schema (the fields an import's columns may fill)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.contacts import profile_view
from ecrm.imports import jobs
from ecrm.imports.jobs import ImportRequest
from ecrm.platform.errors import InvalidInput
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Path, Query
from ecrm.web.router import App, Response, content_types

logger = Logger(service="capture")
metrics = Metrics(namespace="ecrm", service="capture")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
ImportId = Annotated[str, Path(pattern=r"^imp-[0-9a-f]{24}$", description="Import id")]
Cursor = Annotated[str | None, Query(max_length=2048, description="`next_cursor` of a page")]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
SegmentId = Annotated[str | None, Query(pattern=SLUG, description="Segment to export")]
Topic = Annotated[str | None, Query(pattern=SLUG, description="Topic whose members to export")]
Email = Annotated[
    str | None,
    Query(
        min_length=3,
        max_length=320,
        description="The address whose contact to show (read as a submission reads it)",
    ),
]


def _marketer() -> str:
    authorizer = app.current_event.request_context.authorizer
    claims = (authorizer.claims if authorizer else None) or {}
    return str(claims.get("email") or claims.get("sub") or "unknown")


@app.post(
    "/admin/imports",
    summary="Announce a CSV file to import: the import (found again by the file's SHA-256) and "
    "where to upload the file",
    responses=admin(
        409,
        415,
        422,
        ok={
            200: "This file's import already exists: as it stands",
            201: "Created; PUT the file to `upload.url` with `upload.headers`",
        },
    ),
)
def create_import(body: ImportRequest) -> Response[Any]:
    found, created = jobs.create(body, _marketer())
    return Response(201 if created else 200, content_types.APPLICATION_JSON, found)


@app.post(
    "/admin/imports/<import_id>/start",
    summary="Check the uploaded file and its columns, then import it in the background",
    responses=admin(404, 409, 422, ok={202: "Importing (or already imported: see `state`)"}),
)
def start_import(import_id: ImportId) -> Response[Any]:
    return Response(202, content_types.APPLICATION_JSON, jobs.start(import_id))


@app.get(
    "/admin/imports/<import_id>",
    summary="An import's state and counts (rows, imported, duplicates, suppressed, bad rows)",
    responses=admin(404),
)
def get_import(import_id: ImportId) -> dict[str, Any]:
    return jobs.public(jobs.load(import_id, consistent=False))


@app.get(
    "/admin/imports/<import_id>/errors",
    summary="The rows that were not imported: line numbers and reasons, by line",
    responses=admin(404),
)
def get_import_errors(
    import_id: ImportId, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    rows, next_cursor = jobs.bad_rows(import_id, limit, cursor)
    return {"rows": rows, "next_cursor": next_cursor}


@app.get(
    "/admin/profile-schema",
    summary="The profile schema: the fields a contact's profile has (what an import's columns "
    "may fill), the interests and the topics on offer",
    responses=admin(),
)
def get_profile_schema() -> dict[str, Any]:
    return profile_view.load().to_json()


@app.get(
    "/admin/contacts",
    summary="Contacts of a segment (who it would mail) or of a topic (every member), a page "
    "at a time; or, with `email`, the contact that address leads to (id, status, topics, "
    "profile, newest consent records and interactions)",
    responses=admin(404, 422),
)
def export_contacts(
    segment: SegmentId = None,
    topic: Topic = None,
    email: Email = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    # Imported by the one route that reads contacts: the others' starts do without them.
    from ecrm.contacts import export, lookup  # noqa: PLC0415

    if email is not None:
        if segment or topic or cursor:
            problem = "Name an email, a segment or a topic (one of them)."
            raise InvalidInput(problem, fields={"email": problem})
        return lookup.by_email(email)
    found = export.page(segment_id=segment, topic=topic, limit=limit, cursor=cursor)
    return {"columns": found.columns, "contacts": found.contacts, "next_cursor": found.next_cursor}


@http.marketers_first
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
