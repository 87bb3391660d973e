"""Every function's IAM statements name only actions its code calls (read statically from the
modules its handler imports: tests/infra/aws_calls.py). The other direction, every call made
is granted, is checked on the built artifact by tests/packaging."""

from __future__ import annotations

import pytest

from local.template import Function, Template
from tests.infra import aws_calls

TEMPLATE = Template.load()


@pytest.fixture(params=TEMPLATE.functions(), ids=lambda f: f.logical_id)
def function(request: pytest.FixtureRequest) -> Function:
    found: Function = request.param
    return found


def test_function_grants_only_actions_its_code_calls(function: Function) -> None:
    called = aws_calls.code_actions(function.handler_module)
    unused = aws_calls.granted_actions(function) - called
    assert not unused, (
        f"{function.logical_id} is granted {sorted(unused)}, which no module imported by "
        f"{function.handler_module} calls through ecrm.platform.aws (it calls {sorted(called)}): "
        "remove them from its Policies"
    )


def test_function_code_creates_clients_only_through_ecrm_aws(function: Function) -> None:
    # Otherwise the static reading of calls above would not see them.
    assert not aws_calls.direct_boto3_clients(function.handler_module), function.logical_id


def test_reading_of_calls_sees_each_kind_of_client_use() -> None:
    """The static reader itself, on code written the ways the product writes it."""
    import ast

    source = """
from ecrm.platform import aws
from ecrm.platform.aws import sqs as queue_client

def a():
    aws.dynamodb().get_item(TableName="t", Key={})

def b():
    client = aws.ssm()
    client.get_parameter(Name="/k", WithDecryption=True)
    client.exceptions.ParameterVersionNotFound  # an attribute, not a call

def c():
    queue_client().send_message(QueueUrl="q", MessageBody="m")
    aws.dynamodb().get_paginator("query")
"""
    calls = aws_calls.client_calls(ast.parse(source))
    assert calls == {
        ("dynamodb", "GetItem"),
        ("ssm", "GetParameter"),
        ("sqs", "SendMessage"),
        ("dynamodb", "Query"),
    }


def test_a_transaction_needs_the_action_of_each_member_kind() -> None:
    params = {"TransactItems": [{"Put": {}}, {"ConditionCheck": {}}, {"Update": {}}]}
    assert aws_calls.call_actions("dynamodb", "TransactWriteItems", params) == {
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:UpdateItem",
    }
    assert aws_calls.call_actions("sesv2", "SendEmail") == {"ses:SendEmail"}
