"""boto3 clients, created lazily and once per process (they are thread-safe)."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient


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
    return boto3.client("dynamodb", config=_config())


@cache
def sesv2() -> SESV2Client:
    return boto3.client("sesv2", config=_config())


@cache
def ssm() -> SSMClient:
    return boto3.client("ssm", config=_config())


@cache
def events() -> EventBridgeClient:
    return boto3.client("events", config=_config())


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs", config=_config())


@cache
def s3() -> S3Client:
    # SigV4 everywhere: presigned upload URLs must carry their checksum header signed.
    return boto3.client("s3", config=_config().merge(Config(signature_version="s3v4")))


@cache
def cognito_idp() -> CognitoIdentityProviderClient:
    return boto3.client("cognito-idp", config=_config())


def reset() -> None:
    """Forget cached clients (tests that switch endpoints or credentials)."""
    for factory in (_config, dynamodb, sesv2, ssm, events, sqs, s3, cognito_idp):
        factory.cache_clear()
