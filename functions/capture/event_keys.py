"""Event source keys admin API (`/admin/event-keys…`, `ecrm event-keys`): marketers create,
list and revoke the keys sites and backends send custom events with (`POST /events`,
`capture.events`); viewers read. The secret is answered once, at creation
(`ecrm.events.api_keys`). Its own function: it may touch the keys' items only."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.events import api_keys
from ecrm.web import http
from ecrm.web.openapi_responses import BODY, admin, reads
from ecrm.web.params import Path, Query
from ecrm.web.router import App, Response, content_types

logger = Logger(service="events")
metrics = Metrics(namespace="ecrm", service="events")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])

KeyId = Annotated[str, Path(pattern=api_keys.ID_PATTERN, description="Event key id")]
Cursor = Annotated[str | None, Query(max_length=2048, description="`next_cursor` of a page")]
Limit = Annotated[int, Query(ge=1, le=100, description="Keys per page")]


def _marketer() -> str:
    claims = app.current_event.request_context.authorizer.claims
    return str(claims.get("email") or claims.get("sub") or "unknown")


@app.get(
    "/admin/event-keys",
    summary="Event source keys, newest first (revoked ones too; never their secret)",
    responses=admin(),
)
def list_keys(cursor: Cursor = None, limit: Limit = 50) -> dict[str, Any]:
    items, next_cursor = api_keys.page(cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@app.post(
    "/admin/event-keys",
    summary="Create a key for one source of events: its secret (`key`) is in this answer only",
    responses=admin(*BODY, 422, ok={201: "Created: keep `key`, it is never shown again"}),
    openapi_extensions=reads({"name": {"type": "string", "maxLength": 100}}, "name"),
)
def create_key() -> Response[Any]:
    name = api_keys.requested_name(http.read_fields(app.current_event))
    created = api_keys.create(name, _marketer())
    metrics.add_metric(name="EventKeysCreated", unit=MetricUnit.Count, value=1)
    logger.info("event key created", extra={"event_key": created["id"]})
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/admin/event-keys/<key_id>", summary="One event source key", responses=admin(404))
def get_key(key_id: KeyId) -> dict[str, Any]:
    return api_keys.get(key_id)


@app.delete(
    "/admin/event-keys/<key_id>",
    summary="Revoke a key: its next request is refused (401); the key stays listed as revoked",
    responses=admin(404),
)
def revoke_key(key_id: KeyId) -> dict[str, Any]:
    revoked = api_keys.revoke(key_id, _marketer())
    logger.info("event key revoked", extra={"event_key": key_id})
    return revoked


@http.marketers_first  # before path validation: anonymous callers get 401, never a 400
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
