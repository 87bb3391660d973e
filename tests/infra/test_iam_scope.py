"""What every function's IAM statements may reach, beyond which actions
(tests/infra/test_least_privilege.py: only actions the code calls; tests/infra/test_template.py:
no `*` actions, no Scan): resources are named, never `*` but for the actions IAM scopes to
nothing; mail is sent only through the sending identity and the configuration set; no managed
or SAM policy template (DynamoDBCrudPolicy grants Scan) slips past the statement checks."""

from __future__ import annotations

from typing import Any

import pytest

from local.template import Function, Template
from tests.infra import aws_calls

TEMPLATE = Template.load()
UNSCOPED_ACTIONS = {"ses:GetAccount"}  # IAM authorises it on no resource type
SEND_RESOURCES = {
    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SendingDomain}",
    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/"
    "${MailConfigurationSet}",
}


@pytest.fixture(params=TEMPLATE.functions(), ids=lambda f: f.logical_id)
def function(request: pytest.FixtureRequest) -> Function:
    found: Function = request.param
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_policies_are_inline_statements_only(function: Function) -> None:
    for policy in function.properties.get("Policies", []):
        assert isinstance(policy, dict) and set(policy) <= {"Version", "Statement"}, (
            f"{function.logical_id}: {policy!r} is a managed policy or SAM policy template; "
            "write the statements it needs instead"
        )
    assert "ManagedPolicyArns" not in function.properties
    assert "Role" not in function.properties, "a role defined elsewhere escapes these checks"


def test_statements_allow_named_actions_on_named_resources(function: Function) -> None:
    for statement in aws_calls.statements(function):
        assert statement.get("Effect") == "Allow", (function.logical_id, statement)
        assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
        actions = set(_list(statement["Action"]))
        for resource in _list(statement["Resource"]):
            if resource == "*":
                assert actions <= UNSCOPED_ACTIONS, (function.logical_id, actions)
            elif isinstance(resource, str):
                assert not resource.endswith(":*") and resource != "arn:aws:*", resource


def test_mail_is_sent_only_through_the_identity_and_configuration_set(function: Function) -> None:
    for statement in aws_calls.statements(function):
        actions = set(_list(statement["Action"]))
        if not any(a.startswith("ses:Send") for a in actions):
            continue
        assert actions == {"ses:SendEmail"}, (function.logical_id, actions)
        resources = {
            r["Fn::Sub"] if isinstance(r, dict) and "Fn::Sub" in r else repr(r)
            for r in _list(statement["Resource"])
        }
        assert resources == SEND_RESOURCES, (function.logical_id, resources)


def test_table_access_names_the_table_or_its_index_only(function: Function) -> None:
    for statement in aws_calls.statements(function):
        actions = set(_list(statement["Action"]))
        if not any(a.startswith("dynamodb:") for a in actions):
            continue
        for resource in _list(statement["Resource"]):
            target = aws_calls.logical_id(resource)
            text = resource.get("Fn::Sub", "") if isinstance(resource, dict) else str(resource)
            assert target in {"Table"} or "${Table.Arn}" in text or "${Table.StreamArn}" in text, (
                function.logical_id,
                resource,
            )
