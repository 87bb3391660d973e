"""A stand-in function for the gateway tests: answers with the event and context it got."""

from __future__ import annotations

import base64
import json
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event["path"].endswith("/binary"):
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(b"\x00\xff").decode(),
            "isBase64Encoded": True,
        }
    if event["path"].endswith("/broken"):
        return {"no": "statusCode"}
    if event["path"].endswith("/crash"):
        raise RuntimeError("boom")
    seen = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-Echo": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(seen),
    }
