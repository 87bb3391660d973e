"""`local.moto_backend.fast_item_responses`, `fast_index_queries` and `fast_raw_sends`: the
bench's cheaper moto answers are the documents (items, in order; stored and refused mails)
that moto answers on its own."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import boto3
import pytest

from local.moto_backend import fast_index_queries, fast_item_responses, fast_raw_sends
from tests.isolation import moto_in_process

ITEM = {
    "pk": {"S": "c#1"},
    "sk": {"S": "PROFILE"},
    "n": {"N": "12.50"},
    "b": {"BOOL": True},
    "null": {"NULL": True},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2"]},
    "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
    "m": {"M": {"deep": {"M": {"s": {"S": "é ✓"}}}}},
    "gsi1pk": {"S": "TOPIC#t"},
    "gsi1sk": {"S": "CONTACT#1"},
}


def _conversation(fast: bool) -> list[bytes]:
    """The raw response bodies of one conversation with a fresh moto table."""
    bodies: list[bytes] = []
    with moto_in_process(), ExitStack() as patches:
        if fast:
            patches.enter_context(fast_item_responses())
            patches.enter_context(fast_index_queries())
        client = boto3.client("dynamodb")
        client.meta.events.register(
            "after-call.dynamodb", lambda http_response, **_: bodies.append(http_response.content)
        )
        _create(client)
        _talk(client)
    return bodies


def _create(client: Any) -> None:
    client.create_table(
        TableName="t",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _talk(client: Any) -> None:
    client.put_item(TableName="t", Item=ITEM, ReturnValues="NONE")
    for number in range(30):
        item = {**ITEM, "pk": {"S": f"c#{number % 7}"}, "sk": {"S": f"S#{number}"}}
        item["gsi1sk"] = {"S": f"CONTACT#{(number * 13) % 30:02d}"}
        client.put_item(TableName="t", Item=item)
    client.put_item(TableName="t", Item=ITEM, ReturnValues="ALL_OLD")
    client.get_item(TableName="t", Key={"pk": ITEM["pk"], "sk": ITEM["sk"]})
    client.get_item(TableName="t", Key={"pk": {"S": "none"}, "sk": {"S": "x"}})
    client.update_item(
        TableName="t",
        Key={"pk": ITEM["pk"], "sk": ITEM["sk"]},
        UpdateExpression="ADD n :one SET t = :t",
        ExpressionAttributeValues={":one": {"N": "1"}, ":t": {"S": "v"}},
        ReturnValues="ALL_NEW",
    )
    client.batch_get_item(
        RequestItems={
            "t": {
                "Keys": [{"pk": {"S": f"c#{n % 7}"}, "sk": {"S": f"S#{n}"}} for n in range(20)],
                "ProjectionExpression": "pk, sk, #m.deep, ss",
                "ExpressionAttributeNames": {"#m": "m"},
            }
        }
    )
    for forward in (True, False):
        client.query(
            TableName="t",
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p AND gsi1sk > :s",
            ExpressionAttributeValues={":p": {"S": "TOPIC#t"}, ":s": {"S": "CONTACT#05"}},
            ScanIndexForward=forward,
            Limit=9,
        )
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "x"}, "sk": {"S": "y"}}}},
            {"Delete": {"TableName": "t", "Key": {"pk": {"S": "c#1"}, "sk": {"S": "S#1"}}}},
        ]
    )
    client.batch_write_item(
        RequestItems={"t": [{"PutRequest": {"Item": {"pk": {"S": "z"}, "sk": {"S": "1"}}}}]}
    )
    client.delete_item(
        TableName="t", Key={"pk": {"S": "z"}, "sk": {"S": "1"}}, ReturnValues="ALL_OLD"
    )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName="t", Item=ITEM, ConditionExpression="attribute_not_exists(pk)")


def test_the_fast_answers_are_moto_s_own_bytes(aws_credentials: None) -> None:
    own, fast = _conversation(fast=False), _conversation(fast=True)

    assert len(own) == len(fast) > 40
    # After CreateTable (its creation time differs); a set's members may come in another order.
    assert [_canonical(json.loads(b)) for b in fast[1:]] == [
        _canonical(json.loads(b)) for b in own[1:]
    ]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS") else _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def test_moto_is_itself_again_after_the_block(aws_credentials: None) -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.models.table import Table

    before = (ActionResult.execute_result, Table.all_items)
    patches: list[AbstractContextManager[None]] = [fast_item_responses(), fast_index_queries()]
    with ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        assert (ActionResult.execute_result, Table.all_items) != before

    assert (ActionResult.execute_result, Table.all_items) == before


RAW = (
    "From: News <news@example.com>\nTo: Ann <ann@example.org>\nCc: bob@example.org\n"
    "Subject: Hi\nMIME-Version: 1.0\nContent-Type: text/plain\n\nTo: not-a-header@example.org\n"
)


def _sends(fast: bool) -> list[Any]:
    """What moto stored and refused for a few raw sends."""
    from moto.ses.models import ses_backends

    outcomes: list[Any] = []
    with moto_in_process(), ExitStack() as patches:
        if fast:
            patches.enter_context(fast_raw_sends())
        ses = boto3.client("sesv2")
        ses.create_email_identity(EmailIdentity="example.com")
        for sender, raw in (("news@example.com", RAW), ("x@unverified.test", RAW)):
            try:
                ses.send_email(FromEmailAddress=sender, Content={"Raw": {"Data": raw.encode()}})
            except ses.exceptions.ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
        stored = ses_backends["123456789012"]["us-east-1"].sent_messages
        outcomes += [(m.source, m.destinations, m.raw_data) for m in stored]
    return outcomes


def test_raw_sends_reading_headers_only_store_and_refuse_the_same(aws_credentials: None) -> None:
    own, fast = _sends(fast=False), _sends(fast=True)

    assert fast == own
    assert own[-1][1] == ["Ann <ann@example.org>", "bob@example.org"]  # body lines ignored
