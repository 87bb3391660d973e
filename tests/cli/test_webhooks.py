"""`ecrm webhooks` against `ecrm serve`: a marketer registers an endpoint (its secret printed
once), a form submission on the local stack reaches a receiver signed, through the stream,
the fan-out, the delivery queue and the worker as deployed; `list` and `show` give the last
delivery; a private URL exits 1 naming the URL; a viewer lists but cannot create."""

from __future__ import annotations

import json
from typing import Any

import requests

from ecrm.webhooks import signing
from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm
from tests.integration.webhooks_world import Receiver, receiver, resolver

__all__ = ["receiver", "resolver"]


def test_a_submission_reaches_a_registered_endpoint_signed(
    stack: EmbeddedStack, ecrm: Ecrm, receiver: Receiver, resolver: dict[str, list[str]]
) -> None:
    created = ecrm(
        "--json",
        "webhooks",
        "create",
        "https://hooks.example.com/in",
        "--events",
        "form.submitted,contact.confirmed",
    )
    assert created.code == 0, created.err
    made: Any = created.json()
    refused = ecrm("webhooks", "create", "https://169.254.169.254/", "--events", "event.custom")
    assert refused.code == 1 and "url" in refused.err + refused.out
    signed_up = requests.post(
        f"{stack.api_url}/forms/newsletter/submissions",
        json={"email": "wendy.hooks@example.com", "consent": True},
        timeout=120,
    )
    assert signed_up.status_code == 202, signed_up.text
    stack.drain()
    [got] = [r for r in receiver.received if json.loads(r.body)["type"] == "form.submitted"]
    header = got.headers["Ecrm-Signature"]
    assert signing.verify(made["secret"], header, got.body, int(header[2:12]))
    shown = ecrm("webhooks", "show", made["id"])
    assert shown.code == 0 and " 200" in shown.out and made["secret"] not in shown.out
    listed = ecrm("--json", "webhooks", "list")
    assert [h["last_status"] for h in listed.json() if h["id"] == made["id"]] == [200]  # type: ignore[union-attr]
    assert ecrm("webhooks", "delete", made["id"]).code == 0


def test_a_viewer_lists_webhooks_but_cannot_create_one(stack: EmbeddedStack, ecrm: Ecrm) -> None:
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["viewer"]
    assert ecrm("--json", f"--token={token}", "webhooks", "list").code == 0
    refused = ecrm(
        f"--token={token}",
        "webhooks",
        "create",
        "https://hooks.example.com/",
        "--events",
        "event.custom",
    )
    assert refused.code == 3, refused.err
