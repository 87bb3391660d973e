"""Lambda events built from the published AWS samples in tests/fixtures (see SOURCES.md there),
so tests, the bench and the packaging checks hand handlers the shapes AWS delivers, not payloads
written from memory."""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ecrm.platform.store import serialize

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"

Event = dict[str, Any]


@cache
def sample(name: str) -> Event:
    """A published sample, e.g. `aws/sqs.json` or `ses_events/bounce_permanent.json`."""
    loaded: Event = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def api_event(
    method: str,
    resource: str,
    path_parameters: Mapping[str, str] | None = None,
    *,
    body: str | bytes | Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    source_ip: str = "198.51.100.7",
) -> Event:
    """The API Gateway REST proxy event for a route as the template spells it
    (`/forms/{form_id}`); a mapping body is sent as JSON, bytes as base64."""
    event = copy.deepcopy(sample("aws/api_gateway_rest_proxy.json"))
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    all_headers = {"Host": "api.example.com", "User-Agent": "ecrm-tests", **(headers or {})}
    if isinstance(body, Mapping):
        body = json.dumps(dict(body))
        all_headers.setdefault("Content-Type", "application/json")
    encoded = isinstance(body, bytes)
    event.update(
        resource=resource,
        path=path,
        httpMethod=method,
        headers=all_headers,
        multiValueHeaders={k: [v] for k, v in all_headers.items()},
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
        pathParameters=dict(path_parameters or {}) or None,
        body=base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        isBase64Encoded=encoded,
    )
    event["requestContext"].update(
        resourcePath=resource, httpMethod=method, path=f"/v1{path}", stage="v1"
    )
    event["requestContext"]["identity"]["sourceIp"] = source_ip
    return event


def stream_event(
    *new_images: Mapping[str, Any],
    event_name: str = "INSERT",
    stream_arn: str = "eventsource_arn",
    region: str = "us-east-1",
) -> Event:
    """A DynamoDB stream event (NEW_AND_OLD_IMAGES) carrying the items as new images."""
    template = sample("aws/dynamodb_stream.json")["Records"][0]
    records = []
    for number, image in enumerate(new_images):
        record = copy.deepcopy(template)
        record.update(
            eventID=f"evt-{number}",
            eventName=event_name,
            eventSourceARN=stream_arn,
            awsRegion=region,
        )
        record["dynamodb"] = {
            "ApproximateCreationDateTime": float(int(time.time())),
            "Keys": serialize({"pk": image["pk"], "sk": image["sk"]}),
            "NewImage": serialize(image),
            "SequenceNumber": str(100_000_000_000_000_000_000 + number),
            "SizeBytes": len(json.dumps(dict(image), default=str)),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        records.append(record)
    return {"Records": records}
