"""Lambda events for tests, built from the published AWS samples in tests/fixtures."""

from __future__ import annotations

import base64
import copy
import json
from functools import cache
from typing import Any

from ecrm.store import serialize
from tests.conftest import FIXTURES


@cache
def _sample(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "aws" / name).read_text())


class LambdaContext:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req-test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def api(
    method: str,
    resource: str,
    path_params: dict[str, str] | None = None,
    *,
    body: str | bytes | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    ip: str = "198.51.100.7",
) -> dict[str, Any]:
    """An API Gateway REST proxy event for `resource` (as the template spells it)."""
    event = copy.deepcopy(_sample("api_gateway_rest_proxy.json"))
    path = resource
    for name, value in (path_params or {}).items():
        path = path.replace("{" + name + "}", value)
    all_headers = {"Host": "api.example.com", "User-Agent": "pytest", **(headers or {})}
    if isinstance(body, dict):
        body = json.dumps(body)
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
        pathParameters=path_params or None,
        body=base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        isBase64Encoded=encoded,
    )
    event["requestContext"].update(resourcePath=resource, httpMethod=method, path=f"/v1{path}")
    event["requestContext"]["identity"]["sourceIp"] = ip
    return event


def stream(*new_images: dict[str, Any], event_name: str = "INSERT") -> dict[str, Any]:
    """A DynamoDB stream event carrying the given items as new images."""
    template = _sample("dynamodb_stream.json")["Records"][0]
    records = []
    for number, image in enumerate(new_images):
        record = copy.deepcopy(template)
        record["eventID"] = f"evt-{number}"
        record["eventName"] = event_name
        record["dynamodb"] = {
            "Keys": serialize({"pk": image["pk"], "sk": image["sk"]}),
            "NewImage": serialize(image),
            "SequenceNumber": str(1000 + number),
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        records.append(record)
    return {"Records": records}


def json_body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])
