"""Webhooks admin API (`/admin/webhooks…`, `ecrm webhooks`): marketers register, update,
rotate and delete the https endpoints contact events are POSTed to; viewers read. A URL is
checked against SSRF before anything is written; the signing secret is answered once, at
creation and at rotation (`ecrm.webhooks`). Its own function: the webhooks' items and the
webhook key only."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.web import http
from ecrm.web.openapi_responses import BODY, admin, reads
from ecrm.web.params import Path, Query
from ecrm.web.router import App, Response, content_types
from ecrm.webhooks import endpoints

logger = Logger(service="webhooks")
metrics = Metrics(namespace="ecrm", service="webhooks")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])

WebhookId = Annotated[str, Path(pattern=endpoints.ID_PATTERN, description="Webhook id")]
Cursor = Annotated[str | None, Query(max_length=2048, description="`next_cursor` of a page")]
Limit = Annotated[int, Query(ge=1, le=100, description="Webhooks per page")]
_BODY = {
    "url": {"type": "string", "format": "uri", "maxLength": 2048},
    "events": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "enum": list(endpoints.EVENT_TYPES)},
    },
    "description": {"type": "string", "maxLength": endpoints.MAX_DESCRIPTION},
}


def _marketer() -> str:
    claims = app.current_event.request_context.authorizer.claims
    return str(claims.get("email") or claims.get("sub") or "unknown")


@app.get(
    "/admin/webhooks",
    summary="Webhook endpoints, newest first, with their last delivery (never their secret)",
    responses=admin(),
)
def list_webhooks(cursor: Cursor = None, limit: Limit = 50) -> dict[str, Any]:
    items, next_cursor = endpoints.page(cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@app.post(
    "/admin/webhooks",
    summary="Register an https endpoint for event types: its signing secret (`secret`) is in"
    " this answer only",
    responses=admin(*BODY, 422, ok={201: "Created: keep `secret`, it is never shown again"}),
    openapi_extensions=reads(_BODY, "url", "events"),
)
def create_webhook() -> Response[Any]:
    fields = endpoints.requested(http.read_fields(app.current_event))
    created = endpoints.create(fields, _marketer())
    metrics.add_metric(name="WebhooksCreated", unit=MetricUnit.Count, value=1)
    logger.info("webhook created", extra={"webhook": created["id"]})
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/admin/webhooks/<webhook_id>", summary="One webhook endpoint", responses=admin(404))
def get_webhook(webhook_id: WebhookId) -> dict[str, Any]:
    return endpoints.get(webhook_id)


@app.put(
    "/admin/webhooks/<webhook_id>",
    summary="Change an endpoint's URL, event types, description or `enabled` (the secret stays)",
    responses=admin(*BODY, 404, 422),
    openapi_extensions=reads({**_BODY, "enabled": {"type": "boolean"}}, "url", "events"),
)
def update_webhook(webhook_id: WebhookId) -> dict[str, Any]:
    fields = endpoints.requested(http.read_fields(app.current_event), update=True)
    return endpoints.update(webhook_id, fields, _marketer())


@app.post(
    "/admin/webhooks/<webhook_id>/rotate",
    summary="A new signing secret, in this answer only; the previous one signs too for 24 h",
    responses=admin(404),
)
def rotate_secret(webhook_id: WebhookId) -> dict[str, Any]:
    rotated = endpoints.rotate(webhook_id, _marketer())
    logger.info("webhook secret rotated", extra={"webhook": webhook_id})
    return rotated


@app.delete(
    "/admin/webhooks/<webhook_id>",
    summary="Delete an endpoint: nothing more is delivered to it",
    responses=admin(404),
)
def delete_webhook(webhook_id: WebhookId) -> dict[str, Any]:
    endpoints.delete(webhook_id)
    logger.info("webhook deleted", extra={"webhook": webhook_id})
    return {"id": webhook_id, "deleted": True}


@http.marketers_first  # before path validation: anonymous callers get 401, never a 400
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
