"""Local-stack fixtures: a moto server on a free loopback port, and a small template of our
own so these tests pin the local stack's behaviour, not the product's handlers."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local.template import Template
from tests.isolation import moto_in_process

HERE = Path(__file__).resolve().parent

TEST_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: test}
  SendingDomain: {Type: String, Default: example.org}
  PublicBaseUrl: {Type: String, Default: ""}
Conditions:
  HasPublicBaseUrl: !Not [!Equals [!Ref PublicBaseUrl, ""]]
Globals:
  Function:
    CodeUri: fake_functions/
    MemorySize: 256
    Timeout: 5
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        SIGNING_KEY_ARN: !Ref SigningKey
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: gsi1pk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: gsi1
          KeySchema: [{AttributeName: gsi1pk, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  SigningKey:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: "{}"
        GenerateStringKey: key
        PasswordLength: 64
        ExcludePunctuation: true
  Identity:
    Type: AWS::SES::EmailIdentity
    Properties: {EmailIdentity: !Ref SendingDomain}
  Mail:
    Type: AWS::SES::ConfigurationSet
    Properties: {Name: !Sub "mail-${Stage}"}
  FailedRecords:
    Type: AWS::SQS::Queue
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Cors:
        AllowOrigin: "'https://site.example'"
        AllowHeaders: "'Content-Type'"
        AllowMethods: "'GET,POST,OPTIONS'"
        MaxAge: "'60'"
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo_api.app.lambda_handler
      Environment:
        Variables:
          BASE_URL: !If [HasPublicBaseUrl, !Ref PublicBaseUrl, "https://unused.example"]
      Events:
        GetItem:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/items/{item_id}", Method: GET}
        PostItem:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/items/{item_id}", Method: POST}
        NewItem:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/items/new", Method: GET}
        Files:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/files/{proxy+}", Method: ANY}
        AdminItems:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: "/admin/items"
            Method: GET
            Auth: {Authorizer: Marketers}
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt FailedRecords.Arn
        maxReceiveCount: 5
  RecorderFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo_api.recorder.lambda_handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}'
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
"""


def small_template() -> Template:
    return Template.from_string(TEST_TEMPLATE, HERE)


@pytest.fixture
def template_file(tmp_path: Path) -> Path:
    return write_template(tmp_path)


def write_template(folder: Path) -> Path:
    """The test template as a file, its CodeUri made absolute (the fake functions stay here)."""
    path = folder / "template.yaml"
    code_uri = f"CodeUri: {HERE / 'fake_functions'}/"
    path.write_text(TEST_TEMPLATE.replace("CodeUri: fake_functions/", code_uri))
    return path


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server for these tests (starting and stopping one costs about a second)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_url(moto_server: str, aws_credentials: None) -> str:
    """The moto server, emptied: its state is process-wide and tests must not share it."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    return moto_server


def create_table_t(client: Any, **options: Any) -> None:
    """Table `t` (`pk`, `sk` strings), on demand, with `options` (a stream...)."""
    client.create_table(
        TableName="t",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
        **options,
    )


def on_threads(work: Callable[[int], Any], count: int) -> None:
    """`work(n)` on `count` threads at once, each joined (at most a minute) before returning."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


@pytest.fixture
def streamed_table(aws_credentials: None) -> Iterator[Any]:
    """A DynamoDB client of in-process moto with table `t` (pk, sk; a stream of new and old
    images) holding one item, `a`/`1`: its record is the stream's first."""
    with moto_in_process():
        client = boto3.client("dynamodb")
        stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        create_table_t(client, StreamSpecification=stream)
        client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
        yield client


def stream_records(client: Any) -> list[dict[str, Any]]:
    """Every record of table `t`'s stream, from its start (one shard: moto's)."""
    stream = boto3.client("dynamodbstreams")
    arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = stream.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = stream.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    found: list[dict[str, Any]] = stream.get_records(ShardIterator=iterator)["Records"]
    return found
