"""The SAM template: it transforms, it grants least privilege, and it agrees with the code."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from local.template import Function, Template
from tests.conftest import ROOT

TEMPLATE = ROOT / "infra" / "template.yaml"


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load(TEMPLATE)


class _NoManagedPolicies:
    """The transform asks for managed policy ARNs by name; the template names none."""

    def load(self) -> dict[str, str]:
        return {}


def test_sam_transform_produces_cloudformation(monkeypatch: pytest.MonkeyPatch) -> None:
    from cfnlint.decode import decode

    document, matches = decode(str(TEMPLATE))
    assert not matches, matches
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # As `sam package` does: local code folders become S3 locations before the transform.
    document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/code.zip"
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    output = transform(document, {}, _NoManagedPolicies())
    kinds = {r["Type"] for r in output["Resources"].values()}
    assert {
        "AWS::Lambda::Function",
        "AWS::ApiGateway::RestApi",
        "AWS::Lambda::LayerVersion",
    } <= kinds
    assert "AWS::Lambda::EventSourceMapping" in kinds


def _statements(function: Function) -> list[dict[str, Any]]:
    return [s for policy in function.properties.get("Policies", []) for s in policy["Statement"]]


# Actions IAM authorises on no resource type: a statement granting them can only say "*".
UNSCOPED_ACTIONS = {"ses:GetAccount"}


# The one Scan: the schedule tick's, of the keys-only index, once after an upgrade from the due
# index by minute (ecrm.due_legacy: the latest minute an old entry is due). Never the table.
SCANS = {("SchedulerFunction", "${Table.Arn}/index/gsi1")}


def test_no_function_may_scan_or_use_wildcard_actions(template: Template) -> None:
    for function in template.functions():
        for statement in _statements(function):
            actions = statement["Action"]
            assert all("*" not in a for a in actions), (function.logical_id, actions)
            if "dynamodb:Scan" in actions:
                resource = statement["Resource"]
                resource = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
                assert (function.logical_id, resource) in SCANS, function.logical_id
            if statement["Resource"] == "*":
                assert set(actions) <= UNSCOPED_ACTIONS, (function.logical_id, actions)


def test_table_has_stream_ttl_and_point_in_time_recovery(template: Template) -> None:
    [table] = list(template.resources("AWS::DynamoDB::Table"))
    props = table.properties
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_every_stream_consumer_reports_partial_failures_and_has_a_failure_destination(
    template: Template,
) -> None:
    for function in template.functions():
        for source in function.stream_sources:
            assert source.report_batch_item_failures, function.logical_id
            assert source.on_failure_destination, function.logical_id
            assert source.bisect_on_error and source.maximum_retry_attempts


def _code_routes(module_name: str) -> set[tuple[str, str]]:
    from ecrm.web.openapi import resolver

    paths = resolver(importlib.import_module(module_name).app).get_openapi_schema().paths or {}
    return {
        (method.upper(), path)
        for path, item in paths.items()
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(item, method, None) is not None
    }


def test_template_routes_and_code_routes_are_the_same(template: Template) -> None:
    api_functions = [f for f in template.functions() if f.api_routes]
    assert api_functions
    for function in api_functions:
        declared = {(r.method, r.path) for r in function.api_routes}
        assert _code_routes(function.handler_module) == declared, function.logical_id


def test_every_handler_named_in_the_template_exists(template: Template) -> None:
    for function in template.functions():
        module = importlib.import_module(function.handler_module)
        assert callable(getattr(module, function.handler_name)), function.handler


def test_every_function_package_is_deployed_by_the_template(template: Template) -> None:
    deployed = {f.handler_module.split(".")[0] for f in template.functions()}
    packages = {p.name for p in (ROOT / "functions").iterdir() if (p / "__init__.py").exists()}
    assert packages == deployed


def test_merged_openapi_document_covers_every_template_route(template: Template) -> None:
    from local.openapi import merged_openapi

    document = merged_openapi(template)
    declared = {(r.method.lower(), r.path) for f in template.functions() for r in f.api_routes}
    documented = {(m, p) for p, item in document["paths"].items() for m in item}
    assert declared == documented
    json.dumps(document)  # serialisable as served at /openapi.json
    assert all(re.match(r"^/[a-z{]", path) for path in document["paths"])


def test_two_functions_never_document_different_schemas_under_one_name() -> None:
    """The team's `Member` and the segment preview's `Member` once merged into one: the team's
    answers were documented (and fuzzed) with the segment member's schema."""
    from local.openapi import _merge_components

    merged = {"Member": {"required": ["contact_id"]}, "ErrorBody": {"type": "object"}}
    _merge_components(merged, {"ErrorBody": {"type": "object"}}, "schemas", "shared")  # same
    with pytest.raises(ValueError, match=r"components\.schemas\.Member"):
        _merge_components(merged, {"Member": {"required": ["id"]}}, "schemas", "account.team")
    assert merged["Member"] == {"required": ["contact_id"]}


def test_merged_openapi_document_asks_for_the_bearer_exactly_where_the_gateway_does(
    template: Template,
) -> None:
    # Swagger's "Try it out" sends the token only to operations that declare the scheme.
    from local.openapi import merged_openapi

    document = merged_openapi(template)
    guarded = {
        (r.method.lower(), r.path)
        for f in template.functions()
        for r in f.api_routes
        if r.authorizer not in (None, "NONE")
    }
    asking = {
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation.get("security") == [{"Marketers": []}]
    }
    assert guarded == asking
    assert {path for _, path in guarded} == {p for p in document["paths"] if p.startswith("/admin")}
    scheme = document["components"]["securitySchemes"]["Marketers"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_marketer_app_client_allows_the_command_line_sign_in_and_keeps_no_secret(
    template: Template,
) -> None:
    # `ecrm login` signs in with USER_PASSWORD_AUTH and renews with REFRESH_TOKEN_AUTH; a
    # client secret would have to ship with the command line, so there is none.
    (client,) = template.resources("AWS::Cognito::UserPoolClient")
    flows = set(client.properties["ExplicitAuthFlows"])
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= flows
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in flows
    assert client.properties["GenerateSecret"] is False
    assert client.properties["PreventUserExistenceErrors"] == "ENABLED"
