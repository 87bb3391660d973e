"""A stand-in stream or queue function: keeps every record it receives. A queue message whose
body is "fail-once" is reported as failed the first time it arrives."""

from __future__ import annotations

from typing import Any

RECEIVED: list[dict[str, Any]] = []
_FAILED: set[str] = set()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        RECEIVED.append(record)
        if record.get("body") == "fail-once" and record["messageId"] not in _FAILED:
            _FAILED.add(record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
