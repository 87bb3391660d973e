"""The admin guard every marketer route uses, on a resolver of its own: roles are Cognito
groups (`viewers` read, `marketers` and `admins` also write)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.web import http
from ecrm.web.router import App
from tests import events

app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])


CHANGED: list[str] = []


@app.get("/admin/ping")
def ping() -> dict[str, str]:
    return {"ok": "yes"}


@app.post("/admin/ping")
def change() -> dict[str, str]:
    CHANGED.append("changed")
    return {"ok": "yes"}


def call(claims: dict[str, str] | None, method: str = "GET") -> tuple[int, Any]:
    event = events.api(method, "/admin/ping")
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = app.resolve(event, events.LambdaContext())  # type: ignore[arg-type]
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("claims", [None, {}, {"cognito:groups": "marketers"}])
def test_no_verified_identity_is_401(claims: dict[str, str] | None) -> None:
    status, body = call(claims)
    assert status == 401 and body["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("groups", ["", "staff", "marketers-old", "viewer", "[staff, admin]"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_user_of_no_role_is_403(groups: str, method: str) -> None:
    status, body = call({"sub": "u1", "cognito:groups": groups}, method)
    assert status == 403 and body["error"]["code"] == "forbidden"


@pytest.mark.parametrize("groups", ["viewers", "[staff, viewers]"])
def test_a_viewer_reads_but_a_change_is_403_and_changes_nothing(groups: str) -> None:
    CHANGED.clear()
    assert call({"sub": "u1", "cognito:groups": groups}) == (200, {"ok": "yes"})
    status, body = call({"sub": "u1", "cognito:groups": groups}, "POST")
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert "Viewers may only read" in body["error"]["message"] and CHANGED == []


@pytest.mark.parametrize(
    "groups", ["marketers", "admins", "admins,marketers", "[admins, viewers]", "viewers marketers"]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_marketer_or_an_admin_reads_and_changes(groups: str, method: str) -> None:
    assert call({"sub": "u1", "cognito:groups": groups}, method) == (200, {"ok": "yes"})


@pytest.mark.parametrize(("method", "status"), [("GET", 200), ("POST", 403), ("DELETE", 403)])
def test_the_guard_before_the_resolver_lets_a_viewer_read_only(method: str, status: int) -> None:
    guarded = http.marketers_first(lambda event, context: {"statusCode": 200, "body": "{}"})
    event = events.api(method, "/admin/ping")
    event["requestContext"]["authorizer"] = {"claims": {"sub": "v", "cognito:groups": "viewers"}}
    assert guarded(event, None)["statusCode"] == status


@pytest.mark.parametrize(
    ("groups", "status"),
    [
        ("admins", 200),
        ("[admins, viewers]", 200),
        ("marketers", 403),
        ("viewers", 403),
        ("marketers,viewers", 403),
        ("admin", 403),
        ("", 403),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_team_guard_lets_admins_only(groups: str, status: int, method: str) -> None:
    guarded = http.admins_first(lambda event, context: {"statusCode": 200, "body": "{}"})
    event = events.api(method, "/admin/team")
    event["requestContext"]["authorizer"] = {"claims": {"sub": "u1", "cognito:groups": groups}}
    assert guarded(event, None)["statusCode"] == status
    event["requestContext"]["authorizer"] = {"claims": {"cognito:groups": groups}}
    assert guarded(event, None)["statusCode"] == 401
