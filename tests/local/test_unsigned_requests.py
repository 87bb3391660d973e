"""`local.moto_fast.unsigned_requests`: a request botocore would sign carries the same headers
without the signature (moto checks none), and the signers of S3 and of presigned URLs sign as
before."""

from __future__ import annotations

from datetime import datetime

import pytest
from botocore import auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.moto_fast import UNSIGNED, unsigned_requests

CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "secret", "session-token")


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "get_current_datetime", lambda: datetime(2026, 12, 8, 1, 2, 3))


def _request() -> AWSRequest:
    return AWSRequest(
        method="POST",
        url="https://dynamodb.eu-west-1.amazonaws.com/",
        data=b'{"TableName": "ecrm"}',
        headers={
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "left over from an earlier attempt",
        },
    )


def _signed(signer: type[auth.SigV4Auth]) -> AWSRequest:
    request = _request()
    signer(CREDENTIALS, "dynamodb", "eu-west-1").add_auth(request)
    return request


def test_an_unsigned_request_carries_every_header_of_a_signed_one_but_the_signature() -> None:
    signed = _signed(auth.SigV4Auth)
    with unsigned_requests():
        unsigned = _signed(auth.SigV4Auth)

    head, _, signature = signed.headers["Authorization"].rpartition("Signature=")
    assert signature != UNSIGNED
    assert unsigned.headers["Authorization"] == f"{head}Signature={UNSIGNED}"
    assert head.startswith(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261208/eu-west-1/dynamodb/aws4_request"
    )
    assert dict(unsigned.headers.items()) == {
        **dict(signed.headers.items()),
        "Authorization": unsigned.headers["Authorization"],
    }
    assert unsigned.headers["X-Amz-Security-Token"] == "session-token"


def test_other_signers_sign_as_before_and_the_signer_is_whole_again_after() -> None:
    for signer in (auth.S3SigV4Auth, auth.SigV4QueryAuth):
        before = _signed(signer)
        with unsigned_requests():
            inside = _signed(signer)
        assert inside.url == before.url
        assert dict(inside.headers.items()) == dict(before.headers.items())
    with unsigned_requests():
        pass
    assert (
        _signed(auth.SigV4Auth).headers["Authorization"]
        == _signed(auth.SigV4Auth).headers["Authorization"]
    )
    assert not _signed(auth.SigV4Auth).headers["Authorization"].endswith(UNSIGNED)


def test_a_request_without_credentials_is_refused_as_botocore_refuses_it() -> None:
    with unsigned_requests(), pytest.raises(auth.NoCredentialsError):
        auth.SigV4Auth(None, "dynamodb", "eu-west-1").add_auth(_request())
