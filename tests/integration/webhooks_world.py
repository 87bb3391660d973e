"""Webhooks under test: the admin API as API Gateway calls it, a resolver that never reaches
the network (names -> the addresses a test chose), and a receiver: a real HTTP server on
127.0.0.1 put behind `ecrm.webhooks.transport.post`, after every check, which notes the
address delivery asked to connect to (the checked one, never the receiver's own)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ecrm.webhooks import destinations, transport
from ecrm.webhooks.destinations import Target
from tests import events

MARKETER = {"sub": "m-1", "email": "mo@example.com", "cognito:groups": "marketers"}
VIEWER = {"sub": "v-1", "email": "vi@example.com", "cognito:groups": "viewers"}
PUBLIC = "93.184.215.14"  # what hooks.example.com resolves to in tests
NAMES: dict[str, list[str]] = {
    "hooks.example.com": [PUBLIC],
    "inside.example.com": ["10.0.0.7"],
    "mixed.example.com": [PUBLIC, "127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
    "ula.example.com": ["fd00::1"],
}


def admin(
    method: str,
    resource: str,
    claims: dict[str, str] | None = MARKETER,
    *,
    webhook_id: str | None = None,
    body: Any = None,
) -> tuple[int, Any]:
    from capture.webhooks_admin import lambda_handler

    params = {"webhook_id": webhook_id} if webhook_id else None
    event = events.api(method, resource, params, body=body)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def new_webhook(
    url: str = "https://hooks.example.com/ecrm", types: list[str] | None = None
) -> dict[str, Any]:
    body = {"url": url, "events": types or ["form.submitted", "event.custom"]}
    status, created = admin("POST", "/admin/webhooks", body=body)
    assert status == 201, created
    return dict(created)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names resolve from a dict the test may change (DNS rebinding); unknown ones do not."""
    names = {k: list(v) for k, v in NAMES.items()}
    monkeypatch.setattr(destinations, "resolve", lambda host, port: list(names.get(host, [])))
    return names


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the receiver got, and what it answers next (status, extra headers, body)."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # where delivery asked to connect
    crash_before: int = 0  # the next n posts fail before anything is sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            return self.answers.pop(0) if self.answers else (200, {}, b"ok")

    def post(self, target: Target, address: str, headers: dict[str, str], body: bytes) -> Any:
        """`transport.post`, to this server whatever the address (after the checks)."""
        self.addresses.append(address)
        if self.crash_before:
            self.crash_before -= 1
            raise ConnectionResetError("killed before the POST")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            return transport.Answer(response.status, response.read(transport.MAX_RESPONSE_BYTES))
        finally:
            connection.close()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            status, headers, answer = state.next_answer()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(transport, "post", state.post)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
