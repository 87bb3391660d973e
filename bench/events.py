"""Lambda events built from the published AWS samples in tests/fixtures, so the handlers see
the shapes API Gateway and DynamoDB Streams deliver, not payloads written from memory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from local.sample_events import Event, api_event, stream_event

__all__ = ["Event", "demo_form", "form_submission", "stream_insert"]

ROOT = Path(__file__).resolve().parents[1]
DEMO_FORM = ROOT / "local" / "demo_form.json"


@cache
def demo_form() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEMO_FORM.read_text(encoding="utf-8"))
    return loaded


def form_submission(
    fields: Mapping[str, Any], *, source_ip: str, idempotency_key: str | None = None
) -> Event:
    """A JSON submission of the demo form from the site that embeds it (its allowed origin)."""
    form = demo_form()
    headers = {"Content-Type": "application/json", "Origin": form["allowed_origins"][0]}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return api_event(
        "POST",
        "/forms/{form_id}/submissions",
        {"form_id": form["id"]},
        body=json.dumps(dict(fields)),
        headers={"User-Agent": "ecrm-bench", **headers},
        source_ip=source_ip,
    )


def stream_insert(item: Mapping[str, Any], *, stream_arn: str, region: str) -> Event:
    """A DynamoDB stream event with one INSERT record of `item` (NEW_AND_OLD_IMAGES)."""
    return stream_event(item, stream_arn=stream_arn, region=region)
