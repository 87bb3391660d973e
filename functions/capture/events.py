"""Events function: `POST /events`, custom events a site's or a backend's server records for a
contact, authenticated by an event source key (`ecrm.events`: the key checked first, then the
body, the key's rate, and one transaction). The answer never says whether an address is a
contact. Its own function: it may read keys and contacts and write interactions, markers and
counters, nothing else."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.events import api_keys, payload, recording
from ecrm.platform.errors import MalformedRequest, UnsupportedMediaType
from ecrm.web import http
from ecrm.web.openapi_responses import BODY, answers, reads
from ecrm.web.router import App, Response

logger = Logger(service="events")
metrics = Metrics(namespace="ecrm", service="events")
app = App()  # no CORS: a key is a server's secret, never a page's
http.install_error_handlers(app)

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")
_EVENT = {
    "name": {"type": "string", "pattern": payload.NAME_PATTERN},
    "email": {"type": "string", "format": "email"},
    "contact_id": {"type": "string"},
    "id": {"type": "string", "maxLength": 128},
    "occurred_at": {"type": "string", "format": "date-time"},
    "properties": {"type": "object"},
}
_HEADERS = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Events of a retried request count once (each event's `id` does too)",
        "schema": {"type": "string", "maxLength": 128},
    },
    {
        "name": "X-Api-Key",
        "in": "header",
        "required": False,
        "description": "The event key, when not sent as `Authorization: Bearer`",
        "schema": {"type": "string"},
    },
]


def _idempotency_key() -> str | None:
    value = app.current_event.headers.get("idempotency-key")
    if value is None:
        return None
    if not isinstance(value, str) or not _IDEMPOTENCY_KEY.fullmatch(value):
        problem = "1 to 128 printable ASCII characters."
        raise MalformedRequest("The request is not valid.", {"Idempotency-Key": problem})
    return value


@app.post(
    "/events",
    summary="Record custom events for contacts (one, or a batch of up to 25): the same answer "
    "whether an address is a contact or not",
    responses=answers(*BODY, 401, 422, 429, 503, ok={202: "Accepted (retries count once)"}),
    openapi_extensions={
        **reads({**_EVENT, "events": {"type": "array", "items": {"type": "object"}}}),
        "parameters": _HEADERS,
        "security": [{"EventKey": []}],
    },
)
def record_events() -> Response[Any]:
    event = app.current_event
    headers = event.headers
    secret = api_keys.presented(headers.get("authorization"), headers.get("x-api-key"))
    source = api_keys.authenticate(secret)  # 401 before the body is read
    if http.media_type(event) != http.JSON:
        raise UnsupportedMediaType(f"Send {http.JSON}.")
    once = _idempotency_key()
    received = payload.read(http.read_fields(event))
    receipt = recording.record(source, received, once)
    metrics.add_metric(name="EventsReceived", unit=MetricUnit.Count, value=receipt.accepted)
    metrics.add_metric(name="EventsRecorded", unit=MetricUnit.Count, value=receipt.recorded)
    return Response(202, "application/json", receipt.to_dict())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
