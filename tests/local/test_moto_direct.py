"""`local.moto_direct`: the stack's own calls to its moto server skip the socket and get the
answers the server gives over HTTP (errors, headers, binary bodies and S3 metadata included);
calls anywhere else still go over the wire."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer

from local.moto_direct import answered_in_process


@pytest.fixture
def server_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield url
    finally:
        _reset(url)  # moto's state is process-wide
        server.stop()


def _reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _client(service: str, url: str) -> Any:
    make: Callable[..., Any] = boto3.client
    return make(
        service,
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _calls(url: str) -> list[Any]:
    """What a function does to the services: its answers, minus what differs per request."""
    dynamodb, s3, sqs = (_client(s, url) for s in ("dynamodb", "s3", "sqs"))
    answers: list[Any] = []
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    item = {"pk": {"S": "é/1"}, "blob": {"B": bytes(range(256))}}
    dynamodb.put_item(TableName="t", Item=item)
    try:
        dynamodb.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as refused:
        answers.append(refused.response["Error"]["Code"])
    answers.append(dynamodb.get_item(TableName="t", Key={"pk": {"S": "é/1"}})["Item"])
    answers += [_error(lambda: dynamodb.get_item(TableName="none", Key={"pk": {"S": "x"}}))]
    answers.append([r["dynamodb"]["NewImage"] for r in _stream_records(url)])
    s3.create_bucket(Bucket="kept", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="kept", Key="a b/ü.csv", Body=b"x,y\n1,2\n", Metadata={"kept_as": "is"})
    head = s3.head_object(Bucket="kept", Key="a b/ü.csv")
    answers.append((head["ContentLength"], head["Metadata"]))
    answers.append(s3.get_object(Bucket="kept", Key="a b/ü.csv")["Body"].read())
    try:
        s3.head_object(Bucket="kept", Key="missing")
    except ClientError as missing:
        answers.append(missing.response["Error"]["Code"])
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(
        QueueUrl=queue,
        MessageBody="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"}},
    )
    received = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    answers.append([(m["Body"], m["MessageAttributes"]) for m in received])
    answers.append(_error(lambda: sqs.get_queue_url(QueueName="none")))
    return answers


def _error(call: Callable[[], Any]) -> tuple[int, str]:
    try:
        call()
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"]
    raise AssertionError("no error")


def _stream_records(url: str) -> list[Any]:
    streams = _client("dynamodbstreams", url)
    arn = streams.list_streams()["Streams"][0]["StreamArn"]  # the one table
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator)["Records"])


def test_the_servers_own_calls_are_answered_in_process_as_over_http(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    over_http = _calls(server_url)
    _reset(server_url)

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("a connection was opened")

    dispatcher = DomainDispatcherApplication(create_backend_app)
    through_flask: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        through_flask.append(environ.get("HTTP_X_AMZ_TARGET") or environ["PATH_INFO"])
        return dispatcher(environ, start_response)

    with answered_in_process(app, server_url), monkeypatch.context() as no_socket:
        no_socket.setattr(socket.socket, "connect", refuse)
        in_process = _calls(server_url)

    assert in_process == over_http
    assert over_http[0] == "ConditionalCheckFailedException"
    assert over_http[2] == (400, "ResourceNotFoundException")
    assert over_http[5] == b"x,y\n1,2\n"
    assert over_http[-1] == (400, "AWS.SimpleQueueService.NonExistentQueue")
    # DynamoDB, its streams and SQS went straight to moto's handlers; S3 through flask.
    assert through_flask and all(path.startswith("/kept") for path in through_flask)


def test_calls_to_another_address_still_go_over_the_wire(server_url: str) -> None:
    host, port = server_url.removeprefix("http://").split(":")
    elsewhere = f"http://{host}:{int(port) + 1}"  # not the server answered in process
    answered: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        answered.append(environ["PATH_INFO"])
        start_response("500 Internal Server Error", [])
        return [b""]

    with answered_in_process(app, elsewhere):
        assert "TableNames" in _client("dynamodb", server_url).list_tables()
    assert answered == []
