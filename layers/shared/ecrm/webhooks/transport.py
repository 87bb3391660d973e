"""One HTTPS POST to an address already checked (`destinations.addresses`): the connection
goes to that address, TLS speaks to the URL's host (SNI, and the certificate is verified for
that name), and nothing is resolved again. No redirect is followed (a 3xx is an answer, and a
failure); every socket operation has `TIMEOUT_SECONDS`, the whole exchange `DEADLINE_SECONDS`;
at most `MAX_RESPONSE_BYTES` of the answer are read, the rest is dropped with the connection.

`post` is the seam: tests and `ecrm serve` put a local receiver behind it, after every check.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from functools import cache

from ecrm.webhooks.destinations import Target

TIMEOUT_SECONDS = 5.0
DEADLINE_SECONDS = 10.0
MAX_RESPONSE_BYTES = 16 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes  # at most MAX_RESPONSE_BYTES, for tests; never logged or stored


class _PinnedConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), TIMEOUT_SECONDS)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


@cache
def _context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def post(target: Target, address: str, headers: dict[str, str], body: bytes) -> Answer:
    """POST `body` to `target` through `address`; OSError (ssl, timeout, refused) on failure."""
    started = time.monotonic()
    connection = _PinnedConnection(target, address, _context())
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        read = b""
        while len(read) < MAX_RESPONSE_BYTES:
            if time.monotonic() - started > DEADLINE_SECONDS:
                raise TimeoutError("the receiver is too slow")
            chunk = response.read(min(4096, MAX_RESPONSE_BYTES - len(read)))
            if not chunk:
                break
            read += chunk
        return Answer(response.status, read)
    except http.client.HTTPException as error:
        raise OSError(f"bad HTTP answer: {type(error).__name__}") from error
    finally:
        connection.close()
