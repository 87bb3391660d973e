"""The admin guard every marketer route uses, on a resolver of its own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from ecrm.web import http
from tests import events

app = APIGatewayRestResolver(enable_validation=True)
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])


@app.get("/admin/ping")
def ping() -> dict[str, str]:
    return {"ok": "yes"}


def call(claims: dict[str, str] | None) -> tuple[int, Any]:
    event = events.api("GET", "/admin/ping")
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = app.resolve(event, events.LambdaContext())  # type: ignore[arg-type]
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("claims", [None, {}, {"cognito:groups": "marketers"}])
def test_no_verified_identity_is_401(claims: dict[str, str] | None) -> None:
    status, body = call(claims)
    assert status == 401 and body["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("groups", ["", "viewers", "marketers-old", "[admins, viewers]"])
def test_a_user_outside_the_marketers_group_is_403(groups: str) -> None:
    status, body = call({"sub": "u1", "cognito:groups": groups})
    assert status == 403 and body["error"]["code"] == "forbidden"


@pytest.mark.parametrize("groups", ["marketers", "admins,marketers", "[admins, marketers]"])
def test_a_marketer_passes(groups: str) -> None:
    assert call({"sub": "u1", "cognito:groups": groups}) == (200, {"ok": "yes"})
