"""Calling the events functions as API Gateway would: `/admin/event-keys…` with a console
role's claims (`capture.event_keys`), `POST /events` with a key (`capture.events`)."""

from __future__ import annotations

import json
from typing import Any

from tests import events

MARKETER = {"sub": "m-1", "email": "mo@example.com", "cognito:groups": "marketers"}
VIEWER = {"sub": "v-1", "email": "vi@example.com", "cognito:groups": "viewers"}


def admin(
    method: str,
    resource: str,
    claims: dict[str, str] | None = MARKETER,
    *,
    key_id: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    from capture.event_keys import lambda_handler

    event = events.api(method, resource, {"key_id": key_id} if key_id else None, body=body)
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def new_key(name: str = "shop backend") -> dict[str, Any]:
    status, created = admin("POST", "/admin/event-keys", body={"name": name})
    assert status == 201, created
    return dict(created)


def send(
    body: Any,
    key: str | None,
    *,
    header: str = "Authorization",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`POST /events` with `key` as a bearer token (or in `header`); the raw answer."""
    from capture.events import lambda_handler

    sent = dict(headers or {})
    if key is not None:
        sent[header] = f"Bearer {key}" if header == "Authorization" else key
    event = events.api("POST", "/events", body=body, headers=sent)
    response: dict[str, Any] = lambda_handler(event, events.LambdaContext())
    return response
