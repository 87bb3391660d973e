"""The API's access log (checkov CKV_AWS_76): one JSON line per request that holds no token.

Confirmation, unsubscribe and sign-in tokens travel in paths (`/confirm/{token}`), session
tokens in the Authorization header. API Gateway fills the format's `$context.*` variables; a
format naming `$context.path`, a header, the caller or the authorizer's claims would write
tokens or personal data into CloudWatch. The format is rendered here as API Gateway would on
requests that carry a token everywhere it can travel, and the line must hold none of it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from local.template import Template
from tests.conftest import ROOT
from tests.infra.aws_calls import logical_id

TEMPLATE = Template.load()
TOKEN = "eyJwIjoiY29uZmlybSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
ADDRESS = "ada@example.com"
SOURCE_IP = "203.0.113.7"
VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")

# Variables that hold no token and nothing of the caller, with what API Gateway would put in
# them. A format may name these and only these: add one here only if no request can make it
# carry a token or personal data.
SAFE: dict[str, str] = {
    "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "extendedRequestId": "NcGlXGp0oAMFd3A=",
    "xrayTraceId": "Root=1-5e1b4151-5ac6c58f4c4e4b5d9b7e2f10",
    "requestTimeEpoch": "1767225600000",
    "requestTime": "01/Jan/2026:00:00:00 +0000",
    "httpMethod": "{method}",
    "resourcePath": "{route}",
    "stage": "v1",
    "protocol": "HTTP/1.1",
    "status": "200",
    "responseLatency": "41",
    "integrationLatency": "38",
    "integrationStatus": "200",
    "responseLength": "2",
    "error.responseType": "-",
    "apiId": "a1b2c3d4e5",
}
# What the others would hold on the same requests: the token, the address, the caller.
CARRIERS: dict[str, str] = {
    "path": "/v1{path}",
    "resourceId": "-",
    "identity.sourceIp": SOURCE_IP,
    "identity.userAgent": f"Mail scanner ({ADDRESS})",
    "identity.caller": ADDRESS,
    "identity.user": ADDRESS,
    "authorizer.claims.email": ADDRESS,
    "authorizer.principalId": ADDRESS,
    "error.message": f"Invalid token {TOKEN}",
    "domainName": "forms.example.com",
}

TOKEN_ROUTES = sorted(
    {(r.method, r.path) for f in TEMPLATE.functions() for r in f.api_routes if "{token}" in r.path}
)


def _access_log() -> dict[str, Any]:
    setting: dict[str, Any] = TEMPLATE.resource("Api").properties["AccessLogSetting"]
    return setting


def _render(fmt: str, method: str, route: str, path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        known = SAFE.get(name, CARRIERS.get(name))
        assert known is not None, (
            f"$context.{name} is not known to carry no token: name it in SAFE only if no request "
            "can make it hold a token or personal data"
        )
        return known.format(method=method, route=route, path=path)

    return VARIABLE.sub(value, fmt)


def test_there_are_routes_with_tokens_in_their_path() -> None:
    assert ("POST", "/confirm/{token}") in TOKEN_ROUTES
    assert ("GET", "/unsubscribe/{token}") in TOKEN_ROUTES


def test_the_api_stage_writes_an_access_log_to_a_log_group_with_retention() -> None:
    group = TEMPLATE.resource(logical_id(_access_log()["DestinationArn"]) or "")
    assert group.type == "AWS::Logs::LogGroup"
    assert group.properties["RetentionInDays"]


def test_the_access_log_names_only_variables_that_carry_no_token() -> None:
    named = set(VARIABLE.findall(_access_log()["Format"]))
    assert {"requestId", "resourcePath", "status", "responseLatency"} <= named
    assert named <= set(SAFE), named - set(SAFE)


@pytest.mark.parametrize("route", TOKEN_ROUTES, ids=[f"{m} {p}" for m, p in TOKEN_ROUTES])
def test_no_token_reaches_the_access_log_line(route: tuple[str, str]) -> None:
    method, template_path = route
    path = template_path.replace("{token}", TOKEN) + f"?token={TOKEN}"
    line = _render(_access_log()["Format"], method, template_path, path)
    assert TOKEN not in line
    assert ADDRESS not in line and SOURCE_IP not in line
    entry = json.loads(line)
    assert entry["route"] == template_path and entry["method"] == method


def test_the_renderer_would_catch_a_format_naming_the_path() -> None:
    line = _render('{"path":"$context.path"}', "POST", "/confirm/{token}", f"/confirm/{TOKEN}")
    assert TOKEN in line


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def test_the_deployed_stage_logs_after_the_account_log_role_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cfnlint.decode import decode

    document, matches = decode(str(ROOT / "infra" / "template.yaml"))
    assert not matches, matches
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/code.zip"
    document["Resources"]["SharedLayer"]["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    output = transform(document, {}, _NoManagedPolicies())["Resources"]
    [stage] = [r for r in output.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["Properties"]["AccessLogSetting"] == _access_log()
    assert "ApiGatewayAccount" in output["Api"].get("DependsOn", [])
    account = TEMPLATE.resource("ApiGatewayAccount")
    role = TEMPLATE.resource(logical_id(account.properties["CloudWatchRoleArn"]) or "")
    [trust] = role.properties["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
