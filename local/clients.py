"""boto3 clients for the local moto server, and the settings that give the product's own
clients (`ecrm.platform.aws`) the same patience when they talk to it.

moto's server answers one request at a time (`local.moto_threads`), on a developer's machine
that may be busy with other work, so a request can wait seconds for its turn. The product's
settings suit AWS inside a Lambda's time budget (a 5 s read timeout, 3 attempts); against the
local server they turn such a wait into `503 busy_retry`. The local stack's clients, and the
functions it runs (through `ENVIRONMENT`), wait longer and retry as the product retries AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

READ_TIMEOUT = 60  # seconds: a local server under load is slow, not gone
MAX_ATTEMPTS = 5  # standard mode: timeouts, connection errors and throttles, with backoff
CONFIG = Config(
    connect_timeout=10,
    read_timeout=READ_TIMEOUT,
    retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
)
# What `ecrm.platform.aws` reads (its defaults are AWS's).
ENVIRONMENT = {
    "ECRM_AWS_READ_TIMEOUT": str(READ_TIMEOUT),
    "ECRM_AWS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
}


def client(service: str, region: str, endpoint_url: str | None) -> Any:
    """A client of `service` at `endpoint_url` (None: boto3's default, what `mock_aws` patches)."""
    make: Callable[..., Any] = boto3.client  # one factory for many services: untyped
    return make(service, region_name=region, endpoint_url=endpoint_url, config=CONFIG)


def factory(region: str, endpoint_url: str | None) -> Callable[[str], Any]:
    """service name -> one client per service, created on first use."""
    made: dict[str, Any] = {}

    def get(service: str) -> Any:
        if service not in made:
            made[service] = client(service, region, endpoint_url)
        return made[service]

    return get
