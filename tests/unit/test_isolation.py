"""tests/isolation.py: no test, and no process a test starts, can reach AWS; a test that leaves a
thread running fails."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import EndpointConnectionError

from tests import isolation


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host name the process resolves during the test."""
    seen: list[str] = []
    guarded = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(host))
        return guarded(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return seen


def test_a_client_made_outside_moto_is_refused_locally(lookups: list[str]) -> None:
    client = boto3.client("dynamodb")
    assert client.meta.endpoint_url == isolation.CLOSED_PORT_ENDPOINT

    with pytest.raises(EndpointConnectionError) as refused:
        client.list_tables()

    assert "http://127.0.0.1:9/" in str(refused.value)
    assert lookups and set(lookups) == {"127.0.0.1"}  # no lookup of amazonaws.com


def test_credentials_are_the_fake_ones_from_the_environment() -> None:
    credentials = boto3.session.Session().get_credentials()
    assert credentials is not None and credentials.method == "env"
    assert credentials.access_key == "testing"


def test_a_process_a_test_starts_is_pointed_nowhere_too() -> None:
    script = (
        "import boto3, json; c = boto3.client('sqs'); s = boto3.session.Session();"
        "print(json.dumps([c.meta.endpoint_url, s.get_credentials().method]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == [isolation.CLOSED_PORT_ENDPOINT, "env"]


def test_a_client_that_outlives_its_moto_mock_cannot_reach_aws(lookups: list[str]) -> None:
    with isolation.moto_in_process():
        sqs = boto3.client("sqs")
        assert sqs.list_queues().get("QueueUrls", []) == []  # moto answers inside the block

    with pytest.raises(EndpointConnectionError):
        sqs.list_queues()  # the block is over: AWS's own endpoint, which must not resolve

    assert any(host.endswith("amazonaws.com") for host in lookups)
    with pytest.raises(socket.gaierror, match="tests may not reach the network"):
        socket.getaddrinfo("sqs.us-east-1.amazonaws.com", 443)


def test_each_moto_block_starts_empty_and_intercepts_the_requests_library_too() -> None:
    """The `requests` interceptions are kept from one block to the next (`_KeptInterceptions`),
    the data is not, and none of them outlive a block."""
    for _ in range(2):
        with isolation.moto_in_process():
            s3 = boto3.client("s3")
            assert s3.list_buckets()["Buckets"] == []  # nothing left by the block before
            s3.create_bucket(Bucket="uploads")
            params = {"Bucket": "uploads", "Key": "people.csv"}
            url = s3.generate_presigned_url("put_object", Params=params)
            assert requests.put(url, data=b"email\n", timeout=10).status_code == 200
            assert s3.get_object(**params)["Body"].read() == b"email\n"

    with pytest.raises(requests.ConnectionError, match="tests may not reach the network"):
        requests.put(url, data=b"email\n", timeout=10)


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("0.0.0.0", True),
        (None, True),
        ("example.com", False),
        ("dynamodb.us-east-1.amazonaws.com", False),
        ("169.254.169.254", False),  # the instance metadata service
        ("10.0.0.1", False),
    ],
)
def test_only_the_loopback_resolves(host: str | None, local: bool) -> None:
    assert isolation.is_local(host) is local


def _check(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(isolation, "THREAD_GRACE", 0.2)
    return isolation.threads_end_with_the_test()


def test_a_thread_left_running_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    check, release = _check(monkeypatch), threading.Event()
    next(check)
    thread = threading.Thread(target=release.wait, name="left-behind", daemon=True)
    thread.start()
    try:
        with pytest.raises(pytest.fail.Exception, match="left-behind"):
            next(check)
    finally:
        release.set()
        thread.join()


def test_a_thread_that_ends_with_the_test_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    check, release = _check(monkeypatch), threading.Event()
    next(check)
    thread = threading.Thread(target=release.wait, name="stopping")
    thread.start()
    release.set()  # stopped, maybe not yet ended: the check waits for it
    with pytest.raises(StopIteration):
        next(check)
    assert not thread.is_alive()


def test_a_servers_request_threads_belong_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    check, release = _check(monkeypatch), threading.Event()
    next(check)
    thread = threading.Thread(target=release.wait, name="Thread-9 (process_request_thread)")
    thread.start()
    try:
        with pytest.raises(StopIteration):
            next(check)  # a moto or gateway request in flight: its server is what counts
    finally:
        release.set()
        thread.join()
