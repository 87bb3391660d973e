"""The local stack's own requests to its moto server, answered without a socket.

The functions `ecrm serve` runs, its pumps and its housekeeping live in the server's process,
yet each of their calls went through urllib3 to the loopback port and back through werkzeug's
HTTP server: in the 5,000-row import about an eighth of the process's CPU was that round
trip (formatting and parsing HTTP on both sides, a thread per request), not moto's work.

`answered_in_process(app, url)` makes every botocore request of this process whose URL starts
with the server's `url` a call of the server's own WSGI application (`app`), with the environ
werkzeug's server would have built: the same flask dispatch, the same backends, the same
answers. Anything else (a CLI in another process, a browser, a test's `requests`) still comes
over HTTP. botocore's `URLLib3Session.send` is the one place every client's request passes,
whichever session made the client; it is put back on exit.

The calls that make up nearly all of the stack's traffic (DynamoDB, its streams and SQS: JSON
posts whose `X-Amz-Target` names the operation) skip flask as well: whatever their path, moto's
routes send them to one `dispatch` per service (`_DISPATCH`), which is called as moto's own
in-process mock (`mock_aws`) calls it, with the request itself. Flask's app context, routing and
response object were a sixth of the CPU of each such call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any
from unittest.mock import patch
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session
from moto.core.botocore_stubber import MockRawResponse
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    normalize_request,
    should_preserve_original_header_name,
)
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api import recorder
from moto.sqs import urls as sqs_urls
from werkzeug.exceptions import HTTPException  # moto's errors are these

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextmanager
def answered_in_process(app: WsgiApp, url: str) -> Iterator[None]:
    """Requests to `url` (scheme, host and port) go straight to `app` while the block lasts."""
    original = URLLib3Session.send
    base = url.rstrip("/") + "/"

    def send(self: URLLib3Session, request: AWSRequest | AWSPreparedRequest) -> AWSResponse:
        if isinstance(request, AWSPreparedRequest) and request.url.startswith(base):
            dispatch = _dispatch_for(request)
            if dispatch is not None:
                return _dispatched(dispatch, request)
            return _call(app, request)
        return original(self, request)

    with patch.object(URLLib3Session, "send", send):
        yield


# (signing name, the target's prefix) -> the handler moto's routes all lead to.
_DISPATCH: dict[tuple[str, str], Callable[..., Any]] = {
    ("dynamodb", "DynamoDB_20120810"): DynamoHandler.dispatch,
    ("dynamodb", "DynamoDBStreams_20120810"): DynamoDBStreamsHandler.dispatch,
    ("sqs", "AmazonSQS"): sqs_urls.dispatch,
}


def _dispatch_for(request: AWSPreparedRequest) -> Callable[..., Any] | None:
    """moto's handler of a JSON-protocol call of one of `_DISPATCH`'s services, else None."""
    target, auth = request.headers.get("X-Amz-Target"), request.headers.get("Authorization")
    if request.method != "POST" or not target or not auth:
        return None
    target, auth = _text(target), _text(auth)
    try:  # "AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ..."
        service = auth.split(",", 1)[0].split()[1].split("/")[3]
    except IndexError:
        return None
    return _DISPATCH.get((service, target.split(".", 1)[0]))


def _dispatched(dispatch: Callable[..., Any], request: AWSPreparedRequest) -> AWSResponse:
    """What the server's flask route answers, from its handler: moto's errors as flask and
    `mock_aws` turn them into answers (anything else raises, as it does through flask)."""
    normalized = normalize_request(request)
    try:
        recorder._record_request(normalized)
        status, headers, body = dispatch(normalized, normalized.raw_url, normalized.headers)
    except HTTPException as error:
        status, headers, body = error.code, error.get_headers(), error.get_body()
    except ClientError as error:
        status, headers, body = 400, {}, error.response["Error"]["Message"]
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _call(app: WsgiApp, request: AWSPreparedRequest) -> AWSResponse:
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        answer[:] = [int(status.split(" ", 1)[0]), headers]

    chunks = app(environ(request), start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    status, headers = answer
    # As urllib3 does for HEAD, and a server must for 204/304: the headers, no body.
    if request.method == "HEAD":
        body = b""
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


def environ(request: AWSPreparedRequest) -> dict[str, Any]:
    """The WSGI environ werkzeug's server (with moto's request handler) makes of `request`."""
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    body = _body(request.body)
    env: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parts.path, encoding="latin-1"),  # as werkzeug's server has it
        "QUERY_STRING": parts.query,
        "REQUEST_URI": target,
        "RAW_URI": target,
        "SERVER_NAME": parts.hostname or "127.0.0.1",
        "SERVER_PORT": str(parts.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "HTTP_HOST": parts.netloc,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme,
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    preserved: dict[str, str] = {}
    for name, value in request.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if name.lower() in ("host", "content-length", "transfer-encoding", "expect"):
            continue  # said above, or about the connection (the body is whole here)
        if "_" in name:  # werkzeug's server drops these; moto keeps S3 metadata's
            if not should_preserve_original_header_name(name):
                continue
            preserved.setdefault(environ_key_for_header(name), name)
        key = environ_key_for_header(name)
        env[key] = f"{env[key]},{text}" if key in env and key.startswith("HTTP_") else text
    env[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return env


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(bytes(chunk) for chunk in body)
