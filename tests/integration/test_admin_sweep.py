"""Every `/admin` route of the merged OpenAPI document (every function's, whoever wrote it) is
for the console's roles only: no credentials is 401, a signed-in user of no role is 403, a
viewer's change (anything but GET) is 403, whatever the route's parameters or body, and no AWS
call is made at all; a viewer's read passes the guard. The team's routes are for admins only:
a marketer or a viewer is 403 there whatever the method. The routes are read from the document
and the template, so a route added later is swept too."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

from ecrm.platform import aws
from local.lambda_runtime import add_code_paths
from local.openapi import merged_openapi
from local.template import Function, Template
from tests import events

try:  # Python 3.11+
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

TEMPLATE = Template.load()
DOCUMENT = merged_openapi(TEMPLATE)
ROUTES = sorted(
    (method.upper(), path)
    for path, operations in DOCUMENT["paths"].items()
    if path.startswith("/admin")
    for method in operations
)
WRONG_GROUP = {"sub": "u-staff", "email": "staff@example.com", "cognito:groups": "staff"}
VIEWER = {"sub": "u-viewer", "email": "viewer@example.com", "cognito:groups": "viewers"}
MARKETER = {"sub": "u-marketer", "email": "mo@example.com", "cognito:groups": "marketers"}
WRITES = [(method, path) for method, path in ROUTES if method != "GET"]
TEAM = [(method, path) for method, path in ROUTES if path.startswith("/admin/team")]
READS = [
    (method, path) for method, path in ROUTES if method == "GET" and (method, path) not in TEAM
]


def _sample(pattern: str) -> str:
    """A string matching a simple regular expression (path parameter patterns)."""

    def build(tokens: Any) -> str:
        out = []
        for op, arg in tokens:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "IN":
                out.append(_first_of(arg))
            elif name in {"MAX_REPEAT", "MIN_REPEAT"}:
                low, _, inner = arg
                out.append(build(inner) * max(low, 1))
            elif name == "SUBPATTERN":
                out.append(build(arg[-1]))
            elif name == "BRANCH":
                out.append(build(arg[1][0]))
            elif name == "ANY":
                out.append("a")
        return "".join(out)

    sample = build(sre_parse.parse(pattern))
    assert re.fullmatch(pattern, sample), (pattern, sample)
    return sample


def _first_of(items: Any) -> str:
    for op, arg in items:
        if str(op) == "RANGE":
            return chr(arg[0])
        if str(op) == "LITERAL":
            return chr(arg)
        if str(op) == "CATEGORY":
            return "1" if "DIGIT" in str(arg) else "a"
    return "a"


def _path_values(method: str, path: str) -> dict[str, str]:
    operation = DOCUMENT["paths"][path][method.lower()]
    values = {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "path":
            continue
        schema = parameter.get("schema", {})
        if "pattern" in schema:
            values[parameter["name"]] = _sample(schema["pattern"])
        elif schema.get("type") == "integer":
            values[parameter["name"]] = "1"
        else:
            values[parameter["name"]] = "abc"
    return values


def _function_for(method: str, path: str) -> Function:
    for function in TEMPLATE.functions():
        if any((r.method, r.path) == (method, path) for r in function.api_routes):
            return function
    raise AssertionError(f"{method} {path} is in the OpenAPI document but not in the template")


def _call(method: str, path: str, claims: dict[str, str] | None) -> dict[str, Any]:
    add_code_paths(TEMPLATE)
    function = _function_for(method, path)
    handler = getattr(importlib.import_module(function.handler_module), function.handler_name)
    event = events.api(method, path, _path_values(method, path) or None)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response: dict[str, Any] = handler(event, events.LambdaContext())
    return response


def test_the_sweep_sees_the_admin_routes() -> None:
    assert ("POST", "/admin/campaigns") in ROUTES and ("GET", "/admin/templates") in ROUTES
    assert ("PUT", "/admin/team/{user_id}/role") in TEAM and len(TEAM) == 5
    for method, path in ROUTES:
        function = _function_for(method, path)
        [route] = [r for r in function.api_routes if (r.method, r.path) == (method, path)]
        assert route.authorizer == "Marketers", (method, path)


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any AWS client the product asks for fails the test: a refused request touches nothing."""

    def refuse() -> None:
        raise AssertionError("a refused admin request reached for an AWS client")

    for name in ("dynamodb", "sesv2", "ssm", "sqs", "events", "s3", "cognito_idp"):
        if hasattr(aws, name):
            monkeypatch.setattr(aws, name, refuse)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_an_admin_route_without_credentials_is_401(no_aws: None, method: str, path: str) -> None:
    response = _call(method, path, None)
    assert response["statusCode"] == 401, response["body"]
    assert events.json_body(response)["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_an_admin_route_for_another_group_is_403(no_aws: None, method: str, path: str) -> None:
    response = _call(method, path, WRONG_GROUP)
    assert response["statusCode"] == 403, response["body"]
    assert events.json_body(response)["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_a_viewers_change_is_403_before_anything_is_read(
    no_aws: None, method: str, path: str
) -> None:
    response = _call(method, path, VIEWER)
    assert response["statusCode"] == 403, response["body"]
    error = events.json_body(response)["error"]
    expected = "Managing the team" if (method, path) in TEAM else "Viewers may only read"
    assert error["code"] == "forbidden" and expected in error["message"]


@pytest.mark.parametrize("claims", [MARKETER, VIEWER], ids=["marketer", "viewer"])
@pytest.mark.parametrize(("method", "path"), TEAM, ids=[f"{m} {p}" for m, p in TEAM])
def test_a_team_route_is_403_for_anyone_but_an_admin(
    no_aws: None, method: str, path: str, claims: dict[str, str]
) -> None:
    response = _call(method, path, claims)
    assert response["statusCode"] == 403, response["body"]
    error = events.json_body(response)["error"]
    assert error == {
        "code": "forbidden",
        "message": "Managing the team needs the admins group.",
        "fields": {},
    }


def test_a_viewer_reads_every_admin_route(aws_env: dict[str, str]) -> None:
    assert len(READS) >= 15 and len(WRITES) >= 15
    for method, path in READS:
        response = _call(method, path, VIEWER)
        assert response["statusCode"] not in (401, 403, 500), (path, response["body"])
