"""`local.moto_fast`: the cheaper moto answers (`fast_item_responses`, `fast_queries`,
`plain_dynamodb_parameters`, `fast_stream_records`, `fast_raw_sends`) are the documents (items,
in order; stream records; stored and refused mails) that moto answers on its own."""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import boto3
import pytest

from local.moto_fast import (
    _epoch,
    fast_item_responses,
    fast_moto,
    fast_queries,
    fast_raw_sends,
    fast_stream_records,
    plain_dynamodb_parameters,
)
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
    """The raw response bodies of one conversation with a fresh moto table, then its stream."""
    bodies: list[bytes] = []
    with moto_in_process(), ExitStack() as patches:
        if fast:
            for patch in (
                fast_item_responses,
                fast_queries,
                plain_dynamodb_parameters,
                fast_stream_records,
            ):
                patches.enter_context(patch())
        client = boto3.client("dynamodb")
        streams = boto3.client("dynamodbstreams")
        for service in (client, streams):
            service.meta.events.register(
                "after-call", lambda http_response, **_: bodies.append(http_response.content)
            )
        _create(client)
        _talk(client)
        _read_the_stream(client, streams)
    return bodies


def _read_the_stream(client: Any, streams: Any) -> None:
    arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    for _ in range(3):  # pages of 25, then an empty one
        iterator = streams.get_records(ShardIterator=iterator, Limit=25)["NextShardIterator"]


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
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def _talk(client: Any) -> None:
    client.put_item(TableName="t", Item=ITEM, ReturnValues="NONE")
    for number in range(30):
        item = {**ITEM, "pk": {"S": f"c#{number % 7}"}, "sk": {"S": f"S#{number}"}}
        item["gsi1sk"] = {"S": f"CONTACT#{(number * 13) % 30:02d}"}
        client.put_item(TableName="t", Item=item)
    client.put_item(TableName="t", Item=ITEM, ReturnValues="ALL_OLD")
    client.put_item(
        TableName="t", Item={"pk": {"S": "bin"}, "sk": {"S": "1"}, "b": {"B": b"\x00x"}}
    )
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
    for forward in (True, False):  # the table: one partition, a range, a page, none at all
        client.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "c#3"}},
            ScanIndexForward=forward,
        )
        page = client.query(
            TableName="t",
            KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":p": {"S": "c#2"}, ":a": {"S": "S#1"}, ":b": {"S": "S#4"}},
            ScanIndexForward=forward,
            Limit=2,
        )
        client.query(
            TableName="t",
            KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":p": {"S": "c#2"}, ":a": {"S": "S#1"}, ":b": {"S": "S#4"}},
            ScanIndexForward=forward,
            ExclusiveStartKey=page["LastEvaluatedKey"],
        )
        client.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            FilterExpression="n > :n",
            ExpressionAttributeValues={":p": {"S": "nobody"}, ":n": {"N": "1"}},
            ScanIndexForward=forward,
        )
    scanned = client.scan(TableName="t", Limit=11)
    client.scan(TableName="t", ExclusiveStartKey=scanned["LastEvaluatedKey"])
    client.scan(TableName="t", IndexName="gsi1", Limit=5)
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


# What differs between two runs: times (and a stream record's size, moto counts its time's
# digits), the stream's label and ARNs, random ids.
VARIES = {
    "CreationDateTime", "ApproximateCreationDateTime", "LatestStreamArn", "LatestStreamLabel",
    "StreamArn", "StreamLabel", "eventID", "ShardIterator", "NextShardIterator",
    "CreationRequestDateTime", "SizeBytes",
}  # fmt: skip


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "varies" if k in VARIES else sorted(v) if k in ("SS", "NS") else _canonical(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def test_a_request_s_parameters_are_what_moto_s_parser_makes_of_its_body(
    aws_credentials: None,
) -> None:
    """Each DynamoDB request of the conversation (sets, nested maps and lists, a binary value,
    expressions, a transaction), parsed by moto and as plain JSON."""
    from moto.core.request import normalize_request
    from moto.dynamodb.responses import DynamoHandler

    sent: list[Any] = []
    with moto_in_process():
        client = boto3.client("dynamodb")
        client.meta.events.register("request-created", lambda request, **_: sent.append(request))
        _create(client)
        _talk(client)

    def parameters(request: Any) -> Any:
        handler = DynamoHandler()
        handler.setup_class(normalize_request(request.prepare()))
        return handler.params

    with moto_in_process():
        own = [parameters(request) for request in sent]
        with plain_dynamodb_parameters():
            plain = [parameters(request) for request in sent]
    assert len(sent) > 40
    assert plain == own
    assert any(b'"B"' in request.body for request in sent)  # the one moto's parser still reads


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 6, 18, 0, 0),
        datetime(2026, 12, 6, 18, 0, 0, 999),
        datetime(2026, 12, 6, 18, 0, 0, 123456),
    ],
)
def test_a_stream_record_s_time_is_written_as_moto_writes_it(moment: datetime) -> None:
    from moto.core.serialize import TimestampSerializer

    assert _epoch(moment) == TimestampSerializer._timestamp_unixtimestamp(moment)


def test_moto_is_itself_again_after_the_block(aws_credentials: None) -> None:
    from botocore.auth import SigV4Auth
    from moto.core.responses import ActionResult
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    def current() -> list[Any]:
        return [
            ActionResult.execute_result,
            Table.all_items,
            Table.query,
            DynamoDBStreamsHandler.get_records,
            DynamoHandler.parse_parameters,
            SigV4Auth.add_auth,
        ]

    before = current()
    with fast_moto():
        assert all(now is not then for now, then in zip(current(), before, strict=True))

    assert current() == before


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
