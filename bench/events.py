"""Lambda events built from the published AWS samples in tests/fixtures, so the handlers see
the shapes API Gateway and DynamoDB Streams deliver, not payloads written from memory."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ecrm.store import serialize

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "aws"
DEMO_FORM = ROOT / "local" / "demo_form.json"

Event = dict[str, Any]


@cache
def _sample(name: str) -> Event:
    loaded: Event = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


@cache
def demo_form() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEMO_FORM.read_text(encoding="utf-8"))
    return loaded


def api_request(
    method: str,
    resource: str,
    path_parameters: Mapping[str, str],
    *,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    source_ip: str = "198.51.100.7",
) -> Event:
    """An API Gateway REST proxy event for a route as the template spells it."""
    event = copy.deepcopy(_sample("api_gateway_rest_proxy.json"))
    path = resource
    for name, value in path_parameters.items():
        path = path.replace("{" + name + "}", value)
    host = event["requestContext"]["domainName"]
    all_headers = {"Host": host, "User-Agent": "ecrm-bench", **(headers or {})}
    event.update(
        resource=resource,
        path=path,
        httpMethod=method,
        headers=all_headers,
        multiValueHeaders={name: [value] for name, value in all_headers.items()},
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
        pathParameters=dict(path_parameters) or None,
        body=body,
        isBase64Encoded=False,
    )
    event["requestContext"].update(
        resourcePath=resource, httpMethod=method, path=f"/v1{path}", stage="v1"
    )
    event["requestContext"]["identity"]["sourceIp"] = source_ip
    return event


def form_submission(
    fields: Mapping[str, Any], *, source_ip: str, idempotency_key: str | None = None
) -> Event:
    """A JSON submission of the demo form from the site that embeds it (its allowed origin)."""
    form = demo_form()
    headers = {"Content-Type": "application/json", "Origin": form["allowed_origins"][0]}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return api_request(
        "POST",
        "/forms/{form_id}/submissions",
        {"form_id": form["id"]},
        body=json.dumps(dict(fields)),
        headers=headers,
        source_ip=source_ip,
    )


def stream_insert(item: Mapping[str, Any], *, stream_arn: str, region: str) -> Event:
    """A DynamoDB stream event with one INSERT record of `item` (NEW_AND_OLD_IMAGES)."""
    record = copy.deepcopy(_sample("dynamodb_stream.json")["Records"][0])
    record.update(
        eventID="bench-1", eventName="INSERT", eventSourceARN=stream_arn, awsRegion=region
    )
    record["dynamodb"] = {
        "ApproximateCreationDateTime": float(int(time.time())),
        "Keys": serialize({"pk": item["pk"], "sk": item["sk"]}),
        "NewImage": serialize(item),
        "SequenceNumber": "100000000000000000001",
        "SizeBytes": len(json.dumps(dict(item), default=str)),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    return {"Records": [record]}
