"""What keeps every test process away from AWS and every test's threads inside the test.

- `point_aws_nowhere`: the environment of the test process, and so of every process a test
  starts (`ecrm serve`, the command line, workers), names an endpoint on a closed loopback port
  and fake credentials, with the instance metadata service and the shared config files off. A
  client created outside moto fails at once, locally, with "connection refused".
- `moto_in_process`: `mock_aws` intercepts requests addressed to AWS's own endpoints, so inside
  it the unreachable endpoint is lifted; a client created there and used after the block ends
  (by a thread left behind, say) would address AWS, which `refuse_remote_hosts` stops. Its
  interceptions of the `requests` library are registered once per process (`_KeptInterceptions`).
- `refuse_remote_hosts`: in the test process, resolving any name but the loopback's fails at
  once (no DNS lookup of amazonaws.com, ever).
- `threads_end_with_the_test`: a test (with its function-scoped fixtures) that leaves a thread
  running fails; the thread would outlive its moto mock and call whatever comes next.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.core.base_backend import BackendDict
from moto.core.model_instances import reset_model_data
from moto.core.models import MockAWS, botocore_stubber, responses_mock

CLOSED_PORT_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing listens on it here

NO_AWS = {
    "AWS_ENDPOINT_URL": CLOSED_PORT_ENDPOINT,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    # botocore's account-based DynamoDB endpoints are not routed by moto.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
# Where else botocore would look for credentials or a profile.
NO_AWS_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)

THREAD_GRACE = 10.0  # seconds a stopping thread gets to end after its test


def point_aws_nowhere() -> None:
    for name in NO_AWS_UNSET:
        os.environ.pop(name, None)
    os.environ.update(NO_AWS)


@contextmanager
def moto_in_process(*, fresh_session: bool = False) -> Iterator[None]:
    """`mock_aws` with AWS's endpoints in place of the unreachable one (what moto intercepts).

    boto3's default session is kept unless `fresh_session`: moto would replace it, and a new
    session parses botocore's endpoint and service models again (seconds per test); the
    session holds no state of moto's, and the environment's credentials are fake anyway."""
    previous = os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with _KeptInterceptions(config={"core": {"reset_boto3_session": fresh_session}}):
            yield
    finally:
        if previous is not None:
            os.environ["AWS_ENDPOINT_URL"] = previous


class _KeptInterceptions(MockAWS):
    """`mock_aws`, whose interceptions of the `requests` library (a `responses` callback per
    HTTP method and service URL pattern, ~1,300, the same each time) stay registered from one
    test to the next: moto cleared and registered them again at every start, about 60% of each
    test's `aws_env`. Backends are reset at start and stop as moto resets them."""

    def _enable_patching(self, reset: bool = True) -> None:
        if not responses_mock.registered():  # the first start here (or a plain `mock_aws`'s reset)
            super()._enable_patching(reset)
            return
        botocore_stubber.enabled = True
        if reset:
            BackendDict.reset()
        responses_mock.start()

    def _disable_patching(self, remove_data: bool) -> None:
        botocore_stubber.enabled = False
        if remove_data:
            BackendDict.reset()
            reset_model_data()
        responses_mock.stop()


def is_local(host: Any) -> bool:
    if host in (None, "", b"", "localhost", b"localhost"):
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return name.endswith(".localhost")
    return address.is_loopback or address.is_unspecified


_resolve = socket.getaddrinfo


def _local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_local(host):
        raise socket.gaierror(socket.EAI_NONAME, f"tests may not reach the network ({host!r})")
    return _resolve(host, *args, **kwargs)


def refuse_remote_hosts() -> None:
    socket.getaddrinfo = _local_only


def _owned_by_a_wider_fixture(thread: threading.Thread) -> bool:
    """A socketserver's thread for one request (moto's, the gateway's), or a worker of an event
    loop's default executor (`asyncio_N`: Playwright's, whose loop lives as long as the session's
    browser): the server or the loop, started by a fixture of a wider scope, owns it. The
    server's own thread is what a test must stop."""
    return thread.name.endswith("(process_request_thread)") or thread.name.startswith("asyncio_")


def threads_end_with_the_test() -> Iterator[None]:
    """A fixture body: fails the test if a thread it started is still running afterwards."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE
    left = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not _owned_by_a_wider_fixture(t)
    ]
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    still = [t for t in left if t.is_alive()]
    if still:
        names = ", ".join(f"{t.name} (daemon={t.daemon})" for t in still)
        pytest.fail(f"the test left threads running: {names}; stop and join them")
