"""The local gateway, on a small template of our own: a request to a template route reaches
its function as API Gateway's REST proxy event; everything else answers as API Gateway would."""

from __future__ import annotations

import base64
import http.client
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.stack import EmbeddedStack
from tests.local.conftest import write_template


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """One stack for this module: these tests only read (starting one takes about a second)."""
    tmp_path = tmp_path_factory.mktemp("gateway")
    template_file = write_template(tmp_path)
    web = tmp_path / "web"
    web.mkdir()
    (web / "demo.html").write_text("<!DOCTYPE html><title>demo</title>")
    (web / "form.js").write_text("export const x = 1;")
    (tmp_path / "secret.txt").write_text("not for the web")
    local_stack = EmbeddedStack(
        tmp_path / "state", template_path=template_file, web_dir=web, demo_form=None
    )
    local_stack.start()
    try:
        yield local_stack
    finally:
        local_stack.stop()


def request(
    stack: EmbeddedStack,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Raw http.client: the path is sent exactly as written (no normalisation)."""
    address = urlsplit(stack.api_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


def echo(stack: EmbeddedStack, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    status, _, body = request(stack, method, path, **kwargs)
    assert status == 201, body
    seen: dict[str, Any] = json.loads(body)
    return seen


def test_a_template_route_reaches_its_handler_as_a_rest_proxy_event(stack: EmbeddedStack) -> None:
    seen = echo(
        stack,
        "GET",
        "/items/ann%40example.com?tag=a&tag=b&empty=",
        headers={"User-Agent": "pytest", "X-Trace": "1"},
    )
    event = seen["event"]
    assert event["resource"] == "/items/{item_id}"
    assert event["path"] == "/items/ann%40example.com"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"item_id": "ann@example.com"}
    assert event["queryStringParameters"] == {"tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "empty": [""]}
    assert event["headers"]["X-Trace"] == "1"
    assert event["multiValueHeaders"]["X-Trace"] == ["1"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["stage"] == "v1"
    assert context["path"] == "/v1/items/ann%40example.com"
    assert context["resourcePath"] == "/items/{item_id}"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "pytest"
    assert context["requestId"]
    assert seen["context"]["memory_limit_in_mb"] == 256
    assert seen["context"]["function_name"].endswith("EchoFunction")
    assert 0 < seen["context"]["remaining"] <= 5000


def test_the_handlers_response_headers_and_cookies_come_back(stack: EmbeddedStack) -> None:
    status, headers, _ = request(stack, "GET", "/items/1")
    assert status == 201
    assert headers["X-Echo"] == "1"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_a_literal_segment_wins_over_a_parameter(stack: EmbeddedStack) -> None:
    assert echo(stack, "GET", "/items/new")["event"]["resource"] == "/items/new"


def test_a_greedy_parameter_takes_the_rest_of_the_path_for_any_method(stack: EmbeddedStack) -> None:
    event = echo(stack, "DELETE", "/files/a/b/c.txt")["event"]
    assert event["resource"] == "/files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_bodies_are_text_or_base64(stack: EmbeddedStack) -> None:
    text = echo(stack, "POST", "/items/1", body='{"é": 1}'.encode())["event"]
    assert text["body"] == '{"é": 1}' and text["isBase64Encoded"] is False
    binary = echo(stack, "POST", "/items/1", body=b"\xff\x00")["event"]
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\x00"


def test_a_base64_response_is_decoded(stack: EmbeddedStack) -> None:
    status, headers, body = request(stack, "GET", "/files/binary")
    assert (status, headers["Content-Type"], body) == (200, "application/octet-stream", b"\x00\xff")


def test_a_failing_or_malformed_function_is_a_502(stack: EmbeddedStack) -> None:
    for path in ("/files/crash", "/files/broken"):
        status, _, body = request(stack, "GET", path)
        assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_unknown_routes_and_methods(stack: EmbeddedStack) -> None:
    status, _, body = request(stack, "GET", "/nowhere")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    status, headers, _ = request(stack, "PUT", "/items/1")
    assert status == 405
    assert headers["Allow"] == "GET, POST"


def test_preflight_is_answered_from_the_apis_cors_settings(stack: EmbeddedStack) -> None:
    status, headers, _ = request(
        stack, "OPTIONS", "/items/1", headers={"Origin": "https://site.example"}
    )
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://site.example"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert headers["Access-Control-Max-Age"] == "60"


def test_functions_see_their_template_environment_pointing_at_moto(stack: EmbeddedStack) -> None:
    assert os.environ["TABLE_NAME"] == stack.table_name
    assert os.environ["SIGNING_KEY_ARN"].startswith("arn:aws:secretsmanager:")
    assert os.environ["BASE_URL"] == stack.api_url  # PublicBaseUrl is the local API
    assert os.environ["PUBLIC_BASE_URL"] == stack.api_url
    assert os.environ["AWS_ENDPOINT_URL"] == stack.moto_url
    assert os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] == "disabled"


def test_local_pages(stack: EmbeddedStack) -> None:
    status, headers, body = request(stack, "GET", "/")
    assert (status, body) == (200, b"<!DOCTYPE html><title>demo</title>")
    status, headers, body = request(stack, "GET", "/web/form.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    status, headers, body = request(stack, "GET", "/swagger")
    assert status == 200 and b"/openapi.json" in body
    status, _, body = request(stack, "GET", "/openapi.json")
    assert status == 200 and json.loads(body)["info"]["title"] == "ecrm"


@pytest.mark.parametrize("path", ["/web/../secret.txt", "/web/%2e%2e/secret.txt", "/web/nope.js"])
def test_web_files_stay_inside_the_web_folder(stack: EmbeddedStack, path: str) -> None:
    status, _, body = request(stack, "GET", path)
    assert status == 404
    assert b"not for the web" not in body


def test_an_authorised_route_without_a_known_bearer_token_is_401_before_any_handler(
    stack: EmbeddedStack,
) -> None:
    for headers in ({}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic x"}):
        status, _, body = request(stack, "GET", "/admin/items", headers=headers)
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


def test_an_authorised_route_receives_the_tokens_claims_as_a_cognito_authorizer_would(
    stack: EmbeddedStack,
) -> None:
    assert stack.authorizer is not None
    for who, group in (("marketer", "marketers"), ("viewer", "viewers")):
        token = stack.authorizer.tokens[who]
        seen = echo(stack, "GET", "/admin/items", headers={"Authorization": f"Bearer {token}"})
        claims = seen["event"]["requestContext"]["authorizer"]["claims"]
        assert claims["cognito:groups"] == group and claims["sub"]


def test_public_routes_carry_no_authorizer_claims(stack: EmbeddedStack) -> None:
    assert "authorizer" not in echo(stack, "GET", "/items/x")["event"]["requestContext"]
