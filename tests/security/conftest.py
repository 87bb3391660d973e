"""Attack-corpus fixtures: the real handlers on moto (every route reached the way API Gateway
would, picked from the template), a confirmed and signed-in subscriber, a marketer's claims,
and a snapshot of the whole table to diff after every refused request."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from ecrm.contacts import forms, profile_schema
from ecrm.events import api_keys
from ecrm.platform.settings import settings
from local.lambda_runtime import add_code_paths
from local.openapi import merged_openapi
from local.template import Function, Template
from tests import events
from tests.conftest import ROOT, aws_world, reset_caches, table_items
from tests.integration.conftest import submit, submit_form  # noqa: F401 - fixture used below
from tests.integration.self_service.conftest import EMAIL, Member, sign_in, subscribe

TEMPLATE = Template.load()
DOCUMENT = merged_openapi(TEMPLATE)
MARKETER = {
    "sub": "u-marketer",
    "email": "marketer@example.com",
    "cognito:username": "marketer",
    "cognito:groups": "marketers",
}
Route = tuple[str, str]  # (METHOD, /path as the template spells it)


def routes(predicate: Callable[[str, str, dict[str, Any]], bool] = lambda *_: True) -> list[Route]:
    """The merged OpenAPI document's operations that satisfy `predicate(method, path, op)`:
    a route added to any function later is swept too."""
    return sorted(
        (method.upper(), path)
        for path, operations in DOCUMENT["paths"].items()
        for method, operation in operations.items()
        if predicate(method.upper(), path, operation)
    )


def route_ids(found: list[Route]) -> list[str]:
    return [f"{method} {path}" for method, path in found]


def path_parameters(method: str, path: str) -> list[str]:
    operation = DOCUMENT["paths"][path][method.lower()]
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"]


def function_for(method: str, path: str) -> Function:
    for function in TEMPLATE.functions():
        if any((r.method, r.path) == (method, path) for r in function.api_routes):
            return function
    raise AssertionError(f"{method} {path} is in the OpenAPI document but not in the template")


def is_admin(path: str) -> bool:
    return path.startswith("/admin")


@dataclass(frozen=True)
class World:
    """Who is calling: a signed-in subscriber's session for account routes, marketer claims for
    admin routes, an event key for `POST /events`, so that the attack, not a missing
    credential, is what gets refused."""

    member: Member
    session: str
    event_key: str  # a live key of an event source, for `POST /events`

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        body: str | bytes | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> dict[str, Any]:
        add_code_paths(TEMPLATE)
        function = function_for(method, path)
        handler = getattr(importlib.import_module(function.handler_module), function.handler_name)
        all_headers = dict(headers or {})
        if authenticated and path.startswith("/account") and path != "/account/link":
            all_headers.setdefault("Authorization", f"Bearer {self.session}")
        if authenticated and path == "/events":
            all_headers.setdefault("Authorization", f"Bearer {self.event_key}")
        event = events.api(method, path, params, body=body, headers=all_headers)
        if authenticated and is_admin(path):
            event["requestContext"]["authorizer"] = {"claims": dict(MARKETER)}
        response: dict[str, Any] = handler(event, events.LambdaContext())
        return response


@pytest.fixture
def world(submit: Any) -> World:  # noqa: F811 - the imported fixture
    """A world of its own: for tests that write (and may leave things behind)."""
    return _populate(submit)


def _populate(submit: Any) -> World:  # noqa: F811 - the imported fixture's type
    data = json.loads((ROOT / "local" / "demo_profile.json").read_text())
    profile_schema.save(profile_schema.ProfileSchema.model_validate(data))
    member = subscribe(submit, EMAIL, interests=["guides"], company="Acme")
    event_key = str(api_keys.create("attack corpus", MARKETER["email"])["key"])
    return World(member, sign_in(member.email), event_key)


@pytest.fixture(scope="module")
def _shared_world() -> Iterator[tuple[World, list[dict[str, Any]]]]:
    """One world per module (moto, the table, Ann subscribed and signed in), and its table."""
    with pytest.MonkeyPatch.context() as monkeypatch, aws_world(monkeypatch):
        data = json.loads((ROOT / "local" / "demo_form.json").read_text())
        forms.save(forms.Form.model_validate(data))
        world = _populate(submit_form)
        yield world, snapshot()


@pytest.fixture
def shared_world(_shared_world: tuple[World, list[dict[str, Any]]]) -> Iterator[World]:
    """The module's world, as it was built, for each test: building one costs far more than
    most attacks, and the corpus has hundreds. Whatever a test wrote (or a refused request
    wrote by mistake: its test fails) is put back afterwards, and the mail it sent forgotten,
    so every test starts from the same world."""
    world, baseline = _shared_world
    yield world
    if snapshot() != baseline:
        restore(baseline)
    ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages.clear()
    reset_caches()


def restore(items: list[dict[str, Any]]) -> None:
    """Make the table hold exactly `items` again, writing only what differs."""
    from ecrm.platform import store

    wanted = {(item["pk"], item["sk"]): item for item in items}
    held = {(item["pk"], item["sk"]): item for item in table_items()}
    table = settings().table_name
    client = boto3.client("dynamodb")
    for key in held.keys() - wanted.keys():
        client.delete_item(TableName=table, Key=store.serialize({"pk": key[0], "sk": key[1]}))
    for key, item in wanted.items():
        if held.get(key) != item:
            client.put_item(TableName=table, Item=store.serialize(item))


def header(response: dict[str, Any], name: str) -> str | None:
    for key in ("multiValueHeaders", "headers"):
        for found, value in (response.get(key) or {}).items():
            if found.lower() == name.lower():
                return str(value[0] if isinstance(value, list) else value)
    return None


def assert_refused(response: dict[str, Any], *statuses: int) -> None:
    """A 4xx (one of `statuses` when given) with the stable error body, or, for an HTML route,
    an HTML error page."""
    status = response["statusCode"]
    assert 400 <= status < 500, (status, response.get("body"))
    if statuses:
        assert status in statuses, (status, response.get("body"))
    if (header(response, "Content-Type") or "").startswith("text/html"):
        assert "<html" in response["body"].lower()
        return
    body = json.loads(response["body"])
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)


def snapshot() -> list[dict[str, Any]]:
    return sorted(table_items(), key=lambda item: (item["pk"], item["sk"]))
