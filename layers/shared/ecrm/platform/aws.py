"""AWS clients, created lazily and once per process (they are thread-safe).

Every client comes from one botocore session (`session()`), not from boto3's default session:
boto3 adds nothing a client here uses, and its session adds its S3 transfer methods to every S3
client it creates, importing `s3transfer` (and `multiprocessing`) on the cold start of every
function that reads or presigns an upload (~0.045 of the cold-start baseline, issue 15 point
7). The clients are the same botocore clients boto3 would return (same credentials, region,
endpoint and retry configuration); only the user agent says `Botocore/` where it said `Boto3/`.
The session reads botocore's data files (endpoints, service models) with
`ecrm.platform.aws_data`: the same data, with less work at a cold start.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, cast

import botocore.session
from botocore.config import Config

from ecrm.platform import aws_data

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient


@cache
def session() -> botocore.session.Session:
    """The session every client comes from: hooks it `register`s reach the clients
    created after them. Kept by `reset`, as boto3 kept its default session: a new one parses
    botocore's endpoints and service models again."""
    created = botocore.session.get_session()
    stock = created.get_component("data_loader")
    created.register_component("data_loader", aws_data.loader_like(stock))
    return created


@cache
def _config() -> Config:
    """Fail fast inside a Lambda's time budget; the SDK's own retries absorb short throttles.
    The local stack sets ECRM_AWS_READ_TIMEOUT / ECRM_AWS_MAX_ATTEMPTS: its moto server, on a
    busy machine, is slow rather than gone (local/clients.py)."""
    read_timeout = float(os.environ.get("ECRM_AWS_READ_TIMEOUT") or 5)
    attempts = int(os.environ.get("ECRM_AWS_MAX_ATTEMPTS") or 3)
    return Config(
        connect_timeout=2,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": attempts},
    )


@cache
def dynamodb() -> DynamoDBClient:
    return cast("DynamoDBClient", session().create_client("dynamodb", config=_config()))


@cache
def sesv2() -> SESV2Client:
    return cast("SESV2Client", session().create_client("sesv2", config=_config()))


@cache
def ssm() -> SSMClient:
    return cast("SSMClient", session().create_client("ssm", config=_config()))


@cache
def events() -> EventBridgeClient:
    return cast("EventBridgeClient", session().create_client("events", config=_config()))


@cache
def sqs() -> SQSClient:
    return cast("SQSClient", session().create_client("sqs", config=_config()))


@cache
def s3() -> S3Client:
    # SigV4 everywhere: presigned upload URLs must carry their checksum header signed.
    config = _config().merge(Config(signature_version="s3v4"))
    return cast("S3Client", session().create_client("s3", config=config))


@cache
def cognito_idp() -> CognitoIdentityProviderClient:
    return cast(
        "CognitoIdentityProviderClient", session().create_client("cognito-idp", config=_config())
    )


def reset() -> None:
    """Forget cached clients (tests that switch endpoints or credentials): the next ones read
    the environment again. The session is kept (see `session`)."""
    for factory in (_config, dynamodb, sesv2, ssm, events, sqs, s3, cognito_idp):
        factory.cache_clear()
